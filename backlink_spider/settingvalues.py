"""Setting values checked one way wherever they are read: a count that must be a whole number of at
least 1 (`SEARCH_PAGES`, `RENDER_CONCURRENCY`, ...). Callers turn the ValueError into their own
one-line error (discovery.DiscoveryError, preflight's ArgumentError)."""

from __future__ import annotations

from typing import Any


def positive_int(settings: Any, name: str) -> int:
    """The setting `name` as a whole number of at least 1; ValueError, naming the setting and its
    value, for anything else (0, -5, 2.5, True, "six")."""
    value = settings.get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise ValueError(f"{name}={value!r}: expected a whole number, 1 or more")
    return number
