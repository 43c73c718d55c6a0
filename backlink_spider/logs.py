"""Log hygiene: expected network failures are warnings of one line, not errors with tracebacks."""

from __future__ import annotations

import logging


class OneLineWarnings(logging.Filter):
    """Turns a logger's ERROR records into one-line WARNINGs (no traceback). For Scrapy's retry
    middleware (a page that keeps failing is recorded with its error anyway) and robots.txt
    middleware, which logs every unreachable robots.txt (a dead host a link points at, say) as an
    error with a traceback; the request itself still fails and is recorded as usual."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            if record.exc_info and record.exc_info[1] is not None:
                record.msg = f"{record.getMessage()}"
                record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def install() -> None:
    for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OneLineWarnings) for f in logger.filters):
            logger.addFilter(OneLineWarnings())
