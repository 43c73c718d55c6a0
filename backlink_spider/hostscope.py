"""Which host names a crawl may fetch: `ALLOWED_HOSTS` and `DENIED_HOSTS` (fnmatch patterns),
checked by name before any DNS. One rule, used by the downloader middleware for the crawler's own
requests and by the egress proxy for the browser's."""

from __future__ import annotations

from fnmatch import fnmatch


class HostScope:
    def __init__(self, allowed: list[str], denied: list[str]) -> None:
        self.allowed = [p.lower() for p in allowed]
        self.denied = [p.lower() for p in denied]

    @classmethod
    def from_settings(cls, settings) -> HostScope:  # noqa: ANN001
        return cls(settings.getlist("ALLOWED_HOSTS"), settings.getlist("DENIED_HOSTS"))

    def __bool__(self) -> bool:
        return bool(self.allowed or self.denied)

    def refusal(self, host: str) -> str | None:
        """Why `host` is out of scope, or None when it may be fetched."""
        host = host.lower()
        if any(fnmatch(host, p) for p in self.denied) or (
            self.allowed and not any(fnmatch(host, p) for p in self.allowed)
        ):
            return f"host {host} is outside ALLOWED_HOSTS/DENIED_HOSTS"
        return None
