"""The tools' HTTP client (`ksd_tools.http`) keeps each connection's socket to ask whether the
server hung up. A server that closes every connection after its answer, as a server does with an
idle keep-alive connection after its timeout, must cost the next request nothing: the dead
connection is noticed and a new one opened, never written to."""

from __future__ import annotations

import asyncio

from ksd_tools import http


async def test_a_connection_the_server_closed_is_not_used_again() -> None:
    accepted = 0

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
        await writer.drain()
        writer.close()  # no "Connection: close": the client believes it may reuse the connection
        await writer.wait_closed()

    server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, http.client(f"http://127.0.0.1:{port}", connections=1, timeout=5) as client:
        answers = []
        for _ in range(3):
            answers.append((await client.get("/")).text)
            await asyncio.sleep(0.05)  # the server's close reaches the client's socket
    assert answers == ["ok", "ok", "ok"] and accepted == 3
