"""The README documents every field of every record type (records.py is the source of truth)."""

import re
from pathlib import Path

from backlink_spider.records import RECORD_TYPES, field_names

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_record_field_is_in_the_readme_tables():
    documented = set(re.findall(r"^\| `([a-z_]+)`", README, re.M))
    documented |= {
        name
        for row in re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)+) \|", README, re.M)
        for name in re.findall(r"`([a-z_]+)`", row)
    }
    # the summary record's fields are listed in one paragraph
    summary = README.split("`summary` — ", 1)[1].split("\n\n", 1)[0]
    documented |= set(re.findall(r"`([a-z_]+)`", summary))
    missing = {
        f"{record_type}.{name}"
        for record_type, cls in RECORD_TYPES.items()
        for name in field_names(cls)
        if name not in documented
    }
    assert missing == set()
