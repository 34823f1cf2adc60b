"""Debian's Chromium (`deploy/local/chromium.sh`) as the browser tests start it, and where their
screenshots go: with `KSD_SCREENSHOTS=1` into docs/screenshots/ (the README shows them), otherwise
into a temporary folder to look at, so a test run leaves the tree as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--lang=id-ID", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Without the background-networking flags Chromium keeps trying hosts this closed network refuses."""
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("KSD_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "ksd-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def launched() -> AsyncIterator[Browser]:
    """One headless Chromium for a module's tests."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
