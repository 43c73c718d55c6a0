"""`python -m backlink_spider.report OUTPUT_DIR CRAWL_ID`: write a crawl's HTML report, print its path."""

import sys

from backlink_spider.report.files import main

sys.exit(main())
