"""The life cycle every loopback fake API shares: a `LoopbackHTTPServer` on 127.0.0.1 (a free
port), served from a daemon thread, a log of the requests it got, and a context manager.

    class FakeThing(FakeAPI):
        thread_name = "fake-thing"
        api_path = "/api/v1"

        def _handler(self) -> type[BaseHTTPRequestHandler]:
            fake = self

            class Handler(BaseHTTPRequestHandler):
                def do_GET(self) -> None:
                    parts = urlsplit(self.path)
                    number = fake.record(parts.path, query_params(parts.query), self.headers)
                    ...

            return Handler

A subclass sets its own attributes and then calls `super().__init__()`, which builds the server
from `_handler()`; it keeps only what is its API's: the handler, the data, the answers.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs

from demo.serve import LoopbackHTTPServer


def query_params(query: str) -> dict[str, str]:
    """The last value of each parameter of a query string, blank values kept."""
    return {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}


class QuietHandler(BaseHTTPRequestHandler):
    """A fake's request handler: logs nothing, and answers with `send`."""

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """The answer: `status`, `headers` (Content-Length added) and `body`."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class FakeAPI:
    thread_name: str | None = None  # the serving thread's name (None: threading picks one)
    api_path = ""  # what `api_url` adds to `base_url`
    lower_headers = True  # record header names lower-cased (False: as the client sent them)

    def __init__(self) -> None:
        self.requests: list[Any] = []  # {"path", "params", "headers"} of every request, in order
        # Reentrant, so a handler can hold it around `record` and whatever must go with it.
        self._lock = threading.RLock()
        self._server = LoopbackHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + self.api_path

    @property
    def params(self) -> list[dict[str, str]]:
        """The query parameters of every request, in order."""
        with self._lock:
            return [dict(r["params"]) for r in self.requests]

    def record(self, path: str, params: dict[str, str], headers: Message) -> int:
        """Log one request; returns how many have come, this one included."""
        if self.lower_headers:
            names = {k.lower(): v for k, v in headers.items()}
        else:
            names = dict(headers.items())
        with self._lock:
            self.requests.append({"path": path, "params": params, "headers": names})
            return len(self.requests)

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
