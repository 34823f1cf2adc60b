"""Debian's headless Chromium, as the auditor's PDF (`ksd audit report --pdf`) and the browser tests
(tests/browser) launch it through Playwright: one executable, one set of flags, one launch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser

INSTALLED = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
"""Debian's headless shell first (`deploy/local/chromium.sh` installs it): Chromium's engine without
the desktop browser around it, which Playwright itself runs for headless pages. The same two browser
test files cost it 24 s of CPU where the full `chromium` took 54 s (29 November), screenshots and
all."""
ARGS = ["--headless", "--lang=id-ID", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Without the background-networking flags Chromium keeps trying hosts this closed network refuses."""


def executable() -> str | None:
    """The first of `INSTALLED` on this machine; None: Playwright's own download, when it has one."""
    return next((str(path) for path in INSTALLED if path.exists()), None)


@asynccontextmanager
async def launched() -> AsyncIterator[Browser]:
    """One headless Chromium, closed at the end. Playwright is imported here, not with the module:
    the `ksd` command imports this module and starts in well under a second without it."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable(), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
