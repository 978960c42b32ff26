"""The fakes serve every client over HTTPS too (issue 27), as a load test of a service that calls them would need.

Not a peer client: Python's own asyncio and ssl, against the same `sfdest fake` over TLS as the clients, on both
fakes. 10,000 TLS clients held open at once are all answered (2,000 on the second fake); 4,000 connections that never start their handshake
are cut off at the request-head deadline (`--head-timeout`, 5 s by default) while a new client is answered at once.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import ssl
import time

import pytest

from conftest import CA_CERT


def _raise_file_limit() -> int:
    """Takes the hard open-file limit, as `sfdest fake` does; answers the soft limit in effect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=CA_CERT)
    context.check_hostname = False  # 127.0.0.1 is not a name on the test certificate
    return context


async def _hold_answered(port: int, count: int) -> int:
    """Opens `count` TLS connections (at most 200 handshakes at a time), sends one keep-alive GET on each, keeps
    every connection open until all have answered or failed, and answers how many read a 200."""
    context = _context()
    handshakes = asyncio.Semaphore(200)
    writers: list[asyncio.StreamWriter] = []

    async def one() -> bool:
        async with handshakes:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=context), timeout=60)
        writers.append(writer)
        writer.write(b"GET /__fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=60)
        return line.startswith(b"HTTP/1.1 200")

    try:
        results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    finally:
        for writer in writers:
            writer.transport.abort()
    return sum(1 for result in results if result is True)


# 10,000 on one fake, 2,000 on the other: both run the same server (FakeHTTP.HTTPServer, each its own daemon and
# port), and each TLS handshake costs this Python client a few milliseconds (10,000 took 36-50 s with a build running
# beside it), which CI's budget does not allow twice.
@pytest.mark.timeout(240)
@pytest.mark.parametrize("which,clients", [("pardot", 10_000), ("marketing-cloud", 2_000)])
def test_thousands_of_tls_clients_at_once_are_all_answered(fakes, which, clients):
    limit = _raise_file_limit()
    count = min(clients, limit - 512)
    answered = asyncio.run(_hold_answered(fakes.port(which), count))
    assert answered == count, f"{answered} of {count} TLS clients answered on {which}"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("which", ["pardot", "marketing-cloud"])
def test_silent_connections_on_the_tls_port_are_cut_off_while_others_are_answered(fakes, which):
    limit = _raise_file_limit()
    count = min(4_000, limit - 512)
    port = fakes.port(which)
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    try:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with _context().wrap_socket(raw) as probe:
                probe.sendall(b"GET /__fake/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                assert probe.recv(12) == b"HTTP/1.1 200"
        assert time.monotonic() - started < 1, "a new TLS client waited behind the silent connections"
        for connection in silent:
            connection.setblocking(False)
        closed: set[int] = set()
        deadline = time.monotonic() + 20
        while len(closed) < count and time.monotonic() < deadline:
            time.sleep(0.25)
            for index, connection in enumerate(silent):
                if index in closed:
                    continue
                try:
                    if connection.recv(16) == b"":
                        closed.add(index)
                except BlockingIOError:
                    pass
                except OSError:
                    closed.add(index)
        assert len(closed) == count, f"{len(closed)} of {count} silent connections cut off on {which}"
    finally:
        for connection in silent:
            connection.close()
