"""Debian's headless Chromium (`ksd_tools.browser`) as the browser tests start it, and where their
screenshots go: with `KSD_SCREENSHOTS=1` into docs/screenshots/ (the README shows them), otherwise
into a temporary folder to look at, so a test run leaves the tree as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

from ksd_tools.browser import ARGS, executable

SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("KSD_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "ksd-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@asynccontextmanager
async def launched() -> AsyncIterator[Browser]:
    """One headless Chromium for a module's tests."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable(), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
