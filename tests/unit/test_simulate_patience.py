"""A node's system does not give up while the platform restarts: it sends the same request again,
under the same Idempotency-Key, while nothing listens and while the platform answers 503 (after the
Retry-After it asks for), and takes a 4xx as the answer it is. A real HTTP server on a real port
stands in for intake: down at first, then "try again later", then accepting."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from ksd_tools.simulate.runner import retrying


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Intake:
    """Answers each request with the next status of `statuses` (the last one for ever), and keeps
    the Idempotency-Key of every request it read."""

    def __init__(self, port: int, statuses: list[int]) -> None:
        self.port, self.statuses = port, statuses
        self.keys: list[str | None] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._answer, "127.0.0.1", self.port)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in head.split("\r\n")[1:])}
        await reader.readexactly(int(headers.get("content-length", "0")))
        self.keys.append(headers.get("idempotency-key"))
        status = self.statuses[min(len(self.keys) - 1, len(self.statuses) - 1)]
        body = b'{"id": "s-1"}'
        extra = "Retry-After: 1\r\n" if status == 503 else ""
        writer.write(f"HTTP/1.1 {status} X\r\n{extra}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                     + body)
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def intake() -> AsyncIterator[Callable[[list[int]], Intake]]:
    made: list[Intake] = []

    def make(statuses: list[int]) -> Intake:
        made.append(Intake(_free_port(), statuses))
        return made[-1]

    yield make
    for server in made:
        await server.stop()


async def test_a_node_waits_out_a_restart_with_the_same_key(intake: Callable[[list[int]], Intake]) -> None:
    server = intake([503, 202])
    asyncio.get_running_loop().call_later(2, lambda: asyncio.ensure_future(server.start()))  # down for 2 s
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        response = await retrying(client.post, "/v1/submissions", json={}, headers={"Idempotency-Key": "k-1"},
                                  patience=30)
    assert response.status_code == 202
    assert server.keys == ["k-1", "k-1"]  # the 503, then the same key again
    assert time.monotonic() - started >= 3  # 2 s unreachable, then the 1 s the 503 asked for


async def test_a_4xx_is_the_answer_and_is_not_sent_again(intake: Callable[[list[int]], Intake]) -> None:
    server = intake([422])
    await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        response = await retrying(client.post, "/v1/submissions", json={}, headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 422 and server.keys == ["k-2"]


async def test_past_its_patience_a_node_reports_the_platform_unreachable() -> None:
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{_free_port()}") as client:
        with pytest.raises(httpx.TransportError):
            await retrying(client.post, "/v1/submissions", json={}, patience=2)
    assert 2 <= time.monotonic() - started < 8
