"""An HTTP client for the tool that sends many requests: the simulator (`make demo`, the benches' flow).

httpcore 1.0.9's pool asks each of its connections, twice per request, whether the server hung up
(`has_expired`): anyio answers by building every attribute of the socket (local and remote address
among them, each a system call) to pick out the raw socket. With the simulator's 32 connections
that was 47% of its CPU (py-spy, 29 Nov; the pool's rework, encode/httpcore#928, is not released).
Here each connection keeps its socket from the start. And every connection the pool may open is
kept alive, so none is closed and opened again between two requests (httpx keeps 20 by default).
"""

from __future__ import annotations

import socket
import typing

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # the check httpcore's own stream makes, on the socket kept


class _Stream(httpcore.AsyncNetworkStream):
    """anyio's stream, with its raw socket taken once."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, *args: typing.Any, **kwargs: typing.Any) -> httpcore.AsyncNetworkStream:
        return await self._inner.start_tls(*args, **kwargs)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AnyIOBackend):
    async def connect_tcp(self, *args: typing.Any, **kwargs: typing.Any) -> httpcore.AsyncNetworkStream:
        return _Stream(await super().connect_tcp(*args, **kwargs))


class _Transport(httpx.AsyncHTTPTransport):
    def __init__(self, connections: int) -> None:
        super().__init__()
        # httpx makes its pool without a way to give it a network backend: this one replaces it.
        self._pool = httpcore.AsyncConnectionPool(
            max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=5.0,
            network_backend=_Backend())


def client(base_url: str = "", *, connections: int, timeout: float, **options: typing.Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient of at most `connections` connections, all kept alive."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=_Transport(connections), **options)
