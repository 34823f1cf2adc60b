"""The dashboard in headless Chromium (Debian's `chromium`, `deploy/local/chromium.sh`), driven by
Playwright: it loads with no console errors, its totals equal the API's, a drill-down from the
province tiles reaches an agreement's timeline, and an export downloads a workbook that opens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import GROUP_PREFIX, Platform
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, async_playwright
from reporting_history import History, build, caught_up, publish

from ksd_reporting.exports import HEADERS

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (deploy/local/chromium.sh)")


def id_format(n: int) -> str:
    """A whole number as Intl.NumberFormat('id-ID') writes it: dots between thousands."""
    return f"{n:,}".replace(",", ".")


@pytest.fixture(scope="module")
async def history(platform: Platform) -> History:
    history = build()
    await publish(history)
    await caught_up(GROUP_PREFIX)
    return history


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        await browser.close()


async def _summary(platform: Platform, token: str, **params: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{platform.url['reporting']}/v1/summary", params=params,
                                    headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        summary: dict[str, Any] = response.json()
        return summary


async def _wait_applied(platform: Platform, token: str, history: History) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        for stream in history.agreements.values():
            for _ in range(300):
                response = await client.get(f"{platform.url['reporting']}/v1/agreements/{stream.subject}",
                                            headers={"Authorization": f"Bearer {token}"})
                if response.status_code == 200 and response.json()["terms"]["version"] == len(stream.events):
                    break
                await asyncio.sleep(0.2)


async def _open(page: Page, platform: Platform, token: str) -> None:
    """The national page, signed in (again, on a second call: it renders afresh)."""
    renders = 0
    if page.url == "about:blank":
        await page.goto(f"{platform.url['reporting']}/#/")
        await page.fill("#token", token)
    else:
        renders = await page.evaluate("Number(document.body.dataset.renders || 0)")
    await page.click("#login button")
    await page.wait_for_function(f"Number(document.body.dataset.renders || 0) > {renders}")


async def test_the_dashboard_shows_the_apis_figures_drills_down_and_exports(
    platform: Platform, history: History, browser: Browser, tmp_path: Path
) -> None:
    token = await platform.token("directorate")
    await _wait_applied(platform, token, history)
    page = await browser.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # Totals equal the API's (other test runs share the topics: compare when the API held still).
    for _attempt in range(5):
        before = await _summary(platform, token)
        await _open(page, platform, token)
        after = await _summary(platform, token)
        if before["total"] == after["total"] and before["by_province"] == after["by_province"]:
            break
    assert await page.get_attribute("#total", "data-value") == str(after["total"])
    assert await page.inner_text("#total") == id_format(after["total"])
    assert await page.get_attribute("#dormant", "data-value") == str(after["ksb_pks"]["dormant"])
    assert await page.inner_text(".tile[data-code='65'] b") == id_format(after["by_province"]["65"])
    assert await page.locator(".tile").count() == 38
    assert await page.locator("#chart-month svg rect").count() == len([m for m in after["by_month"] if m != "None"])

    # Drill down: the province tile, a regency/city, the search filter, one agreement's timeline.
    await page.click(".tile[data-code='65']")
    await page.wait_for_function("document.body.dataset.ready === '#/wilayah/65'")
    province = await _summary(platform, token, region="65")
    assert await page.get_attribute("#total", "data-value") == str(province["total"])
    await page.click("#region-table tr[data-code='65.71']")
    await page.wait_for_function("document.body.dataset.ready === '#/wilayah/65.71'")
    await page.fill("#f-q", "sampah Tarakan Malinau")
    renders = await page.evaluate("Number(document.body.dataset.renders)")
    await page.click("#filters button:not([type])")
    await page.wait_for_function(f"Number(document.body.dataset.renders) > {renders}")
    a1 = history.id("a1")
    await page.click(f"#agreements tr[data-id='{a1}']")
    await page.wait_for_function(f"document.body.dataset.ready === '#/kerjasama/{a1}'")
    steps = await page.locator("#timeline tbody tr").all_inner_texts()
    assert len(steps) == len(history.agreements["a1"].events)
    assert "Penandatanganan PKS" in steps[5] and "2023-06-15" in steps[5] and "Kota Tarakan" in steps[5]
    assert "Mulai berlaku" in steps[6] and "2023-07-01" in steps[6] and "sistem" in steps[6]
    assert "Laporan terlambat" in steps[8] and "sistem" in steps[8]

    # Export with the filters in force: the workbook opens and holds the agreement.
    await page.go_back()
    await page.wait_for_function("document.body.dataset.ready === '#/wilayah/65.71'")
    async with page.expect_download() as waiting:
        await page.click("#export-xlsx")
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and a1 in {r[-1] for r in rows[1:]}
    assert errors == []
    await page.close()
