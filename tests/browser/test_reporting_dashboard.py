"""The directorate's console in headless Chromium (Debian's `chromium`, `deploy/local/chromium.sh`),
driven by Playwright, as an analyst uses it: every indicator card opens the list of exactly as many
agreements as it shows (nation, province, regency/city; today and a past day), every count of a
table and bar does too, a drill-down reaches an agreement's timeline in Indonesian dates, the export
of a list holds that list, and mapping shows each region's declarations and mapping's partner
suggestions. With `KSD_SCREENSHOTS=1` it writes the screenshots the README shows (docs/screenshots);
otherwise into a temporary folder, to look at without changing the tree."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from chromium import SCREENSHOTS
from conftest import GROUP_PREFIX, Platform
from openpyxl import load_workbook
from playwright.async_api import Browser, Page
from reporting_history import AS_OF, History, build, caught_up, publish

from ksd_contracts.submissions import today_wib
from ksd_tools.browser import launched

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}

CARDS: dict[str, tuple[str, ...]] = {
    "running": ("funnel", "running"), "dormant": ("ksb_pks", "dormant"), "expiring-30": ("expiring", "30"),
    "expiring-60": ("expiring", "60"), "expiring-90": ("expiring", "90"),
    "expired": ("expired_without_extension_or_evaluation",), "overdue": ("overdue_reports", "agreements"),
    "one-sided": ("ksdd_reports", "one_sided"), "disagreeing": ("ksdd_reports", "disagreeing"),
    "mandatory": ("mandatory_not_carried_out",), "disputed": ("disputes_open", "agreements"), "total": ("total",),
}
"""Each indicator card of the page, by element id, and where the summary holds its number."""
SEARCHED = "sampah Tarakan Malinau"
"""What the analyst types into the list's search: the words of one title of the history (a1's)."""


def id_format(n: int) -> str:
    """A whole number as Intl.NumberFormat('id-ID') writes it: dots between thousands."""
    return f"{n:,}".replace(",", ".")


def figure(summary: dict[str, Any], path: tuple[str, ...]) -> int:
    value: Any = summary
    for key in path:
        value = value[key]
    return int(value)


@dataclass(frozen=True)
class Before:
    """What Kalimantan Utara already held before this module's history was published: the platform
    is the run's (under pytest-xdist a worker runs several files on one), and other files record
    agreements there too, so the page must show theirs plus this history's."""

    dormant: int
    expiring_60: int
    sampah_tarakan_malinau: int


@pytest.fixture(scope="module")
async def before(platform: Platform) -> Before:
    token = await platform.token("directorate")
    summary = await _get(platform, token, "summary", as_of=AS_OF.isoformat(), region="65")
    found = await _get(platform, token, "agreements", region="65.71", q=SEARCHED)
    return Before(figure(summary, CARDS["dormant"]), figure(summary, CARDS["expiring-60"]), found["total"])


@pytest.fixture(scope="module")
async def history(platform: Platform, before: Before) -> History:
    history = build()
    await publish(history)
    await caught_up(GROUP_PREFIX)
    return history


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched() as browser:
        yield browser


@pytest.fixture(scope="module")
async def token(platform: Platform, history: History) -> str:
    token = await platform.token("directorate")
    async with httpx.AsyncClient(timeout=30) as client:
        for stream in history.agreements.values():
            for _ in range(300):
                response = await client.get(f"{platform.url['reporting']}/v1/agreements/{stream.subject}",
                                            headers={"Authorization": f"Bearer {token}"})
                if response.status_code == 200 and response.json()["terms"]["version"] == len(stream.events):
                    break
                await asyncio.sleep(0.2)
    return token


async def _get(platform: Platform, token: str, path: str, **params: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{platform.url['reporting']}/v1/{path}", params=params,
                                    headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


async def _signed_in(browser: Browser, platform: Platform, token: str, errors: list[str],
                     viewport: dict[str, int] = DESKTOP) -> Page:
    page = await browser.new_page(accept_downloads=True, viewport=viewport, locale="id-ID")  # type: ignore[arg-type]
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{platform.url['reporting']}/#/")
    await page.fill("#token", token)
    await page.click("#login button")
    await page.wait_for_function("document.body.dataset.ready === '#/'")
    return page


async def _ready(page: Page, hash: str) -> None:
    await page.wait_for_function("hash => document.body.dataset.ready === hash", arg=hash)


async def _visit(page: Page, hash: str) -> None:
    """Go to a page of the console by its address, and wait until it has drawn (a page already
    drawn at that address stays)."""
    if await page.evaluate("document.body.dataset.ready") == hash:
        return
    renders = await page.evaluate("Number(document.body.dataset.renders || 0)")
    await page.evaluate("hash => { location.hash = hash; }", hash)
    await page.wait_for_function(
        "([hash, n]) => document.body.dataset.ready === hash && Number(document.body.dataset.renders) > n",
        arg=[hash, renders])


async def _dated(page: Page, day: str) -> None:
    """Measure the page on `day`, as the analyst does with the date field."""
    renders = await page.evaluate("Number(document.body.dataset.renders || 0)")
    await page.fill("#as-of", day)
    await page.wait_for_function("n => Number(document.body.dataset.renders) > n", arg=renders)


async def _opened_list(page: Page, link: str) -> tuple[int, str]:
    """Click a number; the list it opened: (its `total`, its title). Then back to the page."""
    href = await page.get_attribute(link, "href")
    assert href and href.startswith("#/daftar?"), href
    back = await page.evaluate("document.body.dataset.ready")
    await page.click(link)
    await _ready(page, href)
    total = int(await page.get_attribute("#list-total", "data-value") or "-1")
    rows = await page.locator("#agreements tbody tr").count()
    assert rows == min(total, 50)
    assert await page.locator("#more").is_visible() == (total > 50)
    title = await page.inner_text("#list-title")
    await page.go_back()
    await _ready(page, back)
    return total, title


async def test_each_indicator_card_opens_a_list_as_long_as_its_number(
    platform: Platform, token: str, browser: Browser, before: Before
) -> None:
    errors: list[str] = []
    page = await _signed_in(browser, platform, token, errors)
    for day in (today_wib().isoformat(), AS_OF.isoformat()):
        await _dated(page, day)
        for scope in (None, "65", "65.71"):
            await _visit(page, f"#/wilayah/{scope}" if scope else "#/")
            summary = await _get(platform, token, "summary", as_of=day, **({"region": scope} if scope else {}))
            for card, path in CARDS.items():
                shown = int(await page.get_attribute(f"#{card}", "data-value") or "-1")
                assert shown == figure(summary, path), (scope, day, card)
                total, _ = await _opened_list(page, f"a.card:has(#{card})")
                assert total == shown, (scope, day, card)
    # The province's own figures at the past day: the history adds one dormant KSB and one PKS
    # expiring within 60 days to what the province held before it.
    await _visit(page, "#/wilayah/65")
    assert await page.inner_text("#dormant") == id_format(before.dormant + 1)
    assert await page.inner_text("#expiring-60") == id_format(before.expiring_60 + 1)
    assert errors == []
    await page.close()


async def test_every_count_in_the_tables_and_the_funnel_opens_its_list(
    platform: Platform, token: str, browser: Browser
) -> None:
    errors: list[str] = []
    page = await _signed_in(browser, platform, token, errors)
    await _dated(page, AS_OF.isoformat())
    await _visit(page, "#/wilayah/65")
    links = ["#chart-funnel a", "#chart-month a", "#region-table td.n a",
             *(f"#{t} td.n a" for t in ("by_kind", "by_status", "by_urusan", "foreign_by_country",
                                                "foreign_by_partner", "flags_by_rule", "verification"))]
    checked = titled = 0
    for selector in links:
        for i in range(await page.locator(selector).count()):
            link = page.locator(selector).nth(i)
            if selector == "#chart-funnel a":  # a bar: the figure written beside it
                shown = int(re.sub(r"\D", "", await link.locator("text.value").text_content() or ""))
            elif selector == "#chart-month a":  # a month's bar: the figure its tooltip says
                shown = int((await link.locator("title").text_content() or "").split(": ")[1].split()[0])
            else:
                shown = int(re.sub(r"\D", "", await link.text_content() or ""))
            href = await link.get_attribute("href")
            assert href
            row = await link.locator("xpath=ancestor::tr[1]/td[1]").all_inner_texts()
            total, title = await _opened_list(page, f"{selector} >> nth={i}")
            assert total == shown, href
            if selector == "#verification td.n a":  # titled by the state's own name, as in the table
                assert title.startswith(f"{row[0]} (verifikasi provinsi) · "), title
                titled += 1
            checked += 1
    assert checked >= 35 and titled >= 1
    assert errors == []
    await page.close()


async def test_drill_down_to_an_agreement_and_export_its_list(
    platform: Platform, token: str, history: History, browser: Browser, tmp_path: Path, before: Before
) -> None:
    errors: list[str] = []
    page = await _signed_in(browser, platform, token, errors)
    summary = await _get(platform, token, "summary")
    assert await page.inner_text("#total") == id_format(summary["total"])
    assert await page.locator(".tile").count() == 38
    months = [m for m in summary["by_month"] if m != "None"]
    assert await page.locator("#chart-month svg a[data-month] rect").count() == len(months)
    assert await page.locator("#chart-month svg text").filter(has_text="Bulan inisiasi").count() == 1
    await page.screenshot(path=str(SCREENSHOTS / "nasional.png"), full_page=True)

    # The province: its regencies/cities and no national map; a regency/city; its list, searched.
    await page.click(".tile[data-code='65']")
    await _ready(page, "#/wilayah/65")
    assert not await page.locator("#tiles").is_visible()
    assert await page.locator("#region-table").is_visible()
    assert await page.inner_text("#heading") == "Kerja Sama Daerah — Dasbor Kalimantan Utara"
    await page.screenshot(path=str(SCREENSHOTS / "provinsi.png"), full_page=True)
    await page.click("#region-table tr[data-code='65.71'] a[href='#/wilayah/65.71']")
    await _ready(page, "#/wilayah/65.71")
    assert not await page.locator("#map-section").is_visible()
    assert await page.inner_text("#heading") == "Kerja Sama Daerah — Dasbor Kota Tarakan"
    await page.screenshot(path=str(SCREENSHOTS / "kabupaten-kota.png"), full_page=True)
    await page.click("a.card:has(#total)")
    await page.wait_for_function("location.hash.startsWith('#/daftar?')"
                                 " && document.body.dataset.ready === location.hash")
    await page.screenshot(path=str(SCREENSHOTS / "daftar.png"), full_page=True)
    await page.fill("#f-q", SEARCHED)
    await page.click("#filters button:not([type])")
    await page.wait_for_function("document.body.dataset.ready.includes('q=sampah')")
    assert await page.get_attribute("#list-total", "data-value") == str(before.sampah_tarakan_malinau + 1)
    assert "terbaru menurut tanggal inisiasi" in await page.inner_text("#list-order")
    listed = await page.locator("#agreements tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")

    # "Masuk" twice before any answer: the list is drawn once.
    renders = await page.evaluate("Number(document.body.dataset.renders)")
    await page.click("#login button")
    await page.click("#login button")
    await page.wait_for_function(f"Number(document.body.dataset.renders) > {renders}")
    await page.wait_for_timeout(500)  # a late answer of the render left behind would have been drawn by now
    assert await page.locator("#agreements tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)") == listed

    # Its export holds exactly the list's rows.
    async with page.expect_download() as waiting:
        await page.click("#export-xlsx")
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("ID Kerja Sama")
    assert [r[column] for r in rows[1:]] == listed

    a1 = history.id("a1")
    await page.click(f"#agreements tr[data-id='{a1}'] td:nth-child(2) a")
    await _ready(page, f"#/kerjasama/{a1}")
    steps = await page.locator("#timeline tbody tr").all_inner_texts()
    assert len(steps) == len(history.agreements["a1"].events)
    assert "Penandatanganan PKS" in steps[5] and "15 Jun 2023" in steps[5] and "Kota Tarakan" in steps[5]
    assert "Mulai berlaku" in steps[6] and "1 Jul 2023" in steps[6] and "sistem" in steps[6]
    assert "Laporan terlambat" in steps[8] and "sistem" in steps[8]
    terms = await page.inner_text("#detail-terms")
    assert "Rp 500 juta" in terms and "10 Jan 2023" in terms
    assert "Berjalan 1 Jul 2023 → Kedaluwarsa" in terms  # its term ended on 15 Aug 2025
    await page.screenshot(path=str(SCREENSHOTS / "kerja-sama.png"), full_page=True)
    assert errors == []
    await page.close()


async def _declare(platform: Platform, region: str, offers: list[str], needs: list[str]) -> None:
    token = await platform.token("regency", region)
    body = {"type": "region.declare_cooperable_affairs",
            "data": {"region": region, "declared_on": today_wib().isoformat(), "offers": offers, "needs": needs}}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(f"{platform.url['intake']}/v1/submissions", json=body,
                                     headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid4())})
        assert response.status_code == 202, response.text


async def test_mapping_shows_declarations_completeness_and_mappings_partners(
    platform: Platform, token: str, browser: Browser
) -> None:
    # Tarakan's own declarations are the history's (needing 2.15). Two regencies of Kalimantan Timur
    # that no agreement of any test names offer 2.15 through intake (a declaration of a party would
    # change the flags mapping raises on other tests' agreements).
    for region, offers, needs in (("64.07", ["2.15", "1.03"], ["2.11"]), ("64.08", ["2.15"], ["1.02"])):
        await _declare(platform, region, offers, needs)
    for _ in range(300):  # mapping applies them and reporting reads its events
        answer = await _get(platform, token, "mapping", region="64")
        if all(g["offers"] for g in answer["governments"] if g["code"] in ("64.07", "64.08")):
            break
        await asyncio.sleep(0.2)
    errors: list[str] = []
    page = await _signed_in(browser, platform, token, errors)
    await page.click("#tab-mapping")
    await _ready(page, "#/pemetaan")
    summary = await _get(platform, token, "summary")
    kaltara = summary["regions"]["by_province"]["65"]
    row = await page.inner_text("#completeness tr[data-code='65']")
    assert "Kalimantan Utara" in row and str(kaltara["governments"]) in row
    offered = await page.inner_text("#affairs tr[data-urusan='2.15']")
    assert "Kalimantan Timur (2)" in offered
    await page.click("#affairs tr[data-urusan='2.15'] a")
    await _ready(page, "#/pemetaan?urusan=2.15")
    assert await page.inner_text("#affair-tiles .tile[data-code='64'] b") == "2"  # where 2.15 is offered
    assert await page.locator("#affair-tiles .tile").count() == 38
    await page.screenshot(path=str(SCREENSHOTS / "pemetaan-nasional.png"), full_page=True)

    await page.click("#completeness a[href='#/pemetaan/65']")
    await _ready(page, "#/pemetaan/65")
    tarakan = await page.inner_text("#completeness tr[data-code='65.71']")
    assert "188.45/12/HK/2024" in tarakan and "1 Feb 2024" in tarakan
    await page.click("#completeness a[href='#/pemetaan/65.71']")
    await _ready(page, "#/pemetaan/65.71")
    await page.select_option("#partners-urusan", "2.15")
    await page.click("#partners-form button")
    await page.wait_for_selector("#partners tr[data-code='64.07']")
    partners = await page.locator("#partners tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    async with httpx.AsyncClient(timeout=30) as client:
        ranked = (await client.get(f"{platform.url['mapping']}/v1/regions/65.71/partners",
                                   params={"urusan": "2.15", "limit": "20"},
                                   headers={"Authorization": f"Bearer {token}"})).json()
    assert partners == [p["code"] for p in ranked["partners"]]  # mapping's own ranking, not a second one
    assert "Provinsi lain" in await page.inner_text("#partners tr[data-code='64.07']")
    await page.screenshot(path=str(SCREENSHOTS / "pemetaan-daerah.png"), full_page=True)
    assert errors == []
    await page.close()

    tablet = await _signed_in(browser, platform, token, errors, TABLET)
    width = await tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"]  # nothing but the tile map's own box scrolls sideways
    await tablet.screenshot(path=str(SCREENSHOTS / "nasional-tablet.png"), full_page=True)
    await tablet.close()
    assert errors == []


async def test_a_regency_token_reads_its_own_console(platform: Platform, token: str, browser: Browser) -> None:
    """A regency/city's own analyst: the page is its region's, and its numbers open its lists."""
    tarakan = await platform.token("regency", "65.71")
    summary = await _get(platform, tarakan, "summary")
    errors: list[str] = []
    page = await _signed_in(browser, platform, tarakan, errors)
    assert "Kota Tarakan" in await page.inner_text("#message")
    assert not await page.locator("#map-section").is_visible()
    assert await page.get_attribute("#total", "data-value") == str(summary["total"])
    total, _ = await _opened_list(page, "a.card:has(#total)")
    assert total == summary["total"]
    await page.click("#tab-mapping")
    await _ready(page, "#/pemetaan")
    assert "188.45/12/HK/2024" in await page.inner_text("#mapping-facts")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"]
    assert errors == []
    await page.close()
