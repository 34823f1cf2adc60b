"""Who reads an answer, as far as its words and links depend on it: the language they asked for
(`Accept-Language`), and where they reach the platform from, so that every link an answer gives
is a whole URL of the service that serves it.

One pure ASGI middleware (`Audience`) notes both for the request; texts are then made in that
language (`ksd_contracts.language.say`, `Words.said`) and links with `served`. Answers declare
what they are written in (`Content-Language`) and that it depends on the header (`Vary`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksd_common.settings import settings
from ksd_contracts.language import ENGLISH, INDONESIAN, LANGUAGES, language, speaking

_reached_at: ContextVar[tuple[str, str] | None] = ContextVar("ksd_reached_at", default=None)
"""(scheme, host without port) of the request being answered."""

WRITTEN_IN_INDONESIAN = ("text/html", "text/csv", "application/vnd.openxmlformats")
"""Pages and files, which are only in Bahasa Indonesia whatever was asked."""
DOCUMENTS = ("/openapi.json", "/asyncapi.json")
"""The services' own descriptions, for developers: in neither language only."""


def negotiate(accept_language: str | None) -> str:
    """The language to answer in (RFC 9110 `Accept-Language`, weights honoured): English only when
    it is preferred to Indonesian; anything else, `*`, or no header is Bahasa Indonesia."""
    best, best_weight = INDONESIAN, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if primary in LANGUAGES and weight > best_weight and weight > 0:
            best, best_weight = primary, weight
    return best


def served(service: str, path: str) -> str:
    """The whole URL of `path` on `service`: `KSD_<SERVICE>_PUBLIC_URL` when set, else the host the
    reader reached this service at, on that service's port (the address settings say it has)."""
    public: str | None = getattr(settings(), f"{service}_public_url", None)
    if public:
        return public.rstrip("/") + path
    scheme, host = _reached_at.get() or ("http", settings().host)
    return f"{scheme}://{host}:{settings().port_of(service)}{path}"


CATALOGUES: dict[str, tuple[str, str]] = {"urusan": ("mapping", "/v1/urusan"), "regions": ("mapping", "/v1/regions")}
"""The reference lists a refusal may send the reader to, by name, and the service that serves each."""


def catalogue(name: str) -> str:
    """The whole URL of a reference list (CATALOGUES)."""
    return served(*CATALOGUES[name])


@contextmanager
def reading(accept_language: str | None) -> Iterator[None]:
    """Answer in the language a request asked for (where the middleware did not run, as for the
    answer to an unexpected error)."""
    with speaking(negotiate(accept_language)):
        yield


class Audience:
    """Notes the reader's language and address for the request, and declares the answer's language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        reached = headers.get("host", "")
        host = reached if reached.endswith("]") else reached.rsplit(":", 1)[0]  # without its port
        place = _reached_at.set((scope.get("scheme", "http"), host or settings().host))

        async def declared(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                if "content-language" not in answer:
                    media = answer.get("content-type", "")
                    if media.startswith(WRITTEN_IN_INDONESIAN):
                        answer["Content-Language"] = INDONESIAN
                    elif "json" in media and scope["path"] not in DOCUMENTS:
                        answer["Content-Language"] = language()
                        answer.append("Vary", "Accept-Language")
            await send(message)

        try:
            with reading(headers.get("accept-language")):
                await self.app(scope, receive, declared)
        finally:
            _reached_at.reset(place)


__all__ = ["ENGLISH", "INDONESIAN", "Audience", "catalogue", "negotiate", "reading", "served"]
