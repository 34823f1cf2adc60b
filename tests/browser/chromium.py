"""Where the browser tests' screenshots go (their Chromium: `ksd_tools.browser.launched`, as the
audit PDF's): with `KSD_SCREENSHOTS=1` into docs/screenshots/ (the README shows them), otherwise
into a temporary folder to look at, so a test run leaves the tree as it was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("KSD_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / "ksd-screenshots")
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
