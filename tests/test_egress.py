"""The egress proxy on its own: what it lets through and what it refuses, over real sockets."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading

import pytest

from backlink_spider.egress import EgressProxy
from backlink_spider.hostscope import HostScope
from backlink_spider.netsafety import AddressPolicy, parse_networks


class Origin:
    """A one-line HTTP server that counts connections and echoes the request line."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.requests.append(data)
            line = data.split(b"\r\n", 1)[0]
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(line), line)
            )
            conn.close()


@pytest.fixture(scope="module")
def allowed_origin():
    return Origin("127.0.0.2")


@pytest.fixture(scope="module")
def internal_origin():
    return Origin("127.0.0.1")


class PinnedPolicy(AddressPolicy):
    """Resolves `pinned.test` to 127.0.0.2, as a name server of the attacker's would."""

    async def resolve(self, host):
        if host == "pinned.test":
            return (ipaddress.ip_address("127.0.0.2"),)
        return await super().resolve(host)


async def exchange(proxy: EgressProxy, data: bytes) -> bytes:
    await proxy.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.bind())
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 5)
    if answer.startswith(b"HTTP/1.1 200 Connection Established"):
        writer.write(b"GET /through-tunnel HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        answer += await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    await proxy.close()
    return answer


def proxy(**scope) -> EgressProxy:
    policy = PinnedPolicy(parse_networks("127.0.0.2/32"))
    return EgressProxy(policy, HostScope(scope.get("allowed", []), scope.get("denied", [])).refusal)


def run(coro):
    return asyncio.run(coro)


def test_plain_http_to_an_allowed_address_is_forwarded_in_origin_form(allowed_origin):
    answer = run(
        exchange(
            proxy(),
            f"GET http://127.0.0.2:{allowed_origin.port}/page?q=1 HTTP/1.1\r\nHost: x\r\n"
            "Proxy-Connection: keep-alive\r\nProxy-Authorization: secret\r\n\r\n".encode(),
        )
    )
    assert answer.endswith(b"GET /page?q=1 HTTP/1.1")
    sent = allowed_origin.requests[-1]
    assert b"Proxy-" not in sent and b"Connection: close" in sent


def test_a_tunnel_to_an_allowed_address_carries_bytes(allowed_origin):
    answer = run(exchange(proxy(), f"CONNECT 127.0.0.2:{allowed_origin.port} HTTP/1.1\r\n\r\n".encode()))
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK")
    assert answer.endswith(b"GET /through-tunnel HTTP/1.1")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("CONNECT 127.0.0.1:{port}", "loopback address 127.0.0.1"),
        ("CONNECT localhost:{port}", "localhost"),
        ("CONNECT [::1]:{port}", "loopback address ::1"),
        ("GET http://127.0.0.1:{port}/", "loopback address 127.0.0.1"),
        ("GET http://2130706433:{port}/", "loopback address 127.0.0.1"),
        ("GET http://[::ffff:127.0.0.1]:{port}/", "127.0.0.1"),
        ("GET http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("GET http://nothing-here.invalid/", "unresolvable"),
        ("GET ftp://127.0.0.2/file", "only http(s) is fetched"),
    ],
)
def test_refused_targets_get_a_403_with_the_reason_and_no_connection(internal_origin, target, reason):
    before = len(internal_origin.requests)
    guard = proxy()
    line = target.format(port=internal_origin.port)
    answer = run(exchange(guard, f"{line} HTTP/1.1\r\nHost: x\r\n\r\n".encode()))
    assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    refused = answer.split(b"X-Egress-Refused: ", 1)[1].split(b"\r\n", 1)[0].decode()
    assert reason in refused
    assert len(internal_origin.requests) == before


def test_host_scope_is_applied_before_any_lookup(allowed_origin):
    guard = proxy(denied=["*.blocked.test", "127.0.0.2"])
    answer = run(exchange(guard, f"GET http://127.0.0.2:{allowed_origin.port}/ HTTP/1.1\r\n\r\n".encode()))
    assert b"X-Egress-Refused: host 127.0.0.2 is outside ALLOWED_HOSTS/DENIED_HOSTS" in answer
    assert guard.refusal_for(f"http://127.0.0.2:{allowed_origin.port}/x") == (
        "host 127.0.0.2 is outside ALLOWED_HOSTS/DENIED_HOSTS"
    )


def test_the_checked_answer_is_the_address_connected_to(allowed_origin):
    # `pinned.test` does not exist for the OS: the proxy connects to the address it checked.
    answer = run(
        exchange(proxy(), f"GET http://pinned.test:{allowed_origin.port}/pin HTTP/1.1\r\n\r\n".encode())
    )
    assert answer.endswith(b"GET /pin HTTP/1.1")
