"""The regions' workspace (Ruang Kerja, `/ruang-kerja/` on intake) in headless Chromium, as its
users work: each person signs in through Keycloak's real login page (the authorization-code flow
with PKCE; the page never holds a token), and every answer comes from the real services on the real
Kafka and PostgreSQL.

- A regency operator proposes a KSDD with the wrong kind of partner: intake refuses it with its rule
  in Indonesian, shown at the field; fixed, it is applied. The partner regency's operator finds it
  awaiting their own report and reports it; the proposer then cannot withdraw it alone, and sees
  why in plain Indonesian with what to do.
- A region administrator creates an operator's account and revokes it: the operator's open
  session stops working within seconds.
- An operator goes offline, prepares two submissions, comes back online: each is applied once.
- A province operator returns one record of its regency with a note and verifies another; the
  regency's operator sees the returned one in the list with the note and the reminder in the inbox.

`KSD_SCREENSHOTS=1` writes the main pages' screenshots to docs/screenshots/ (the README shows them);
otherwise a run writes nothing into the tree."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from chromium import SCREENSHOTS
from conftest import SLOT, Account, Platform, ksd
from nodes import Node, verification_of
from playwright.async_api import Browser, BrowserContext, FilePayload, Page, Route, expect

from ksd_contracts.forms import SUBMISSION_TYPES
from ksd_contracts.labels import day
from ksd_contracts.submissions import today_wib
from ksd_tools.browser import launched

KENDARI, KONAWE = "74.71", "74.02"
APPLIED = "Diterapkan"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched() as browser:
        yield browser


async def _screenshot(page: Page, name: str) -> None:
    """Into docs/screenshots/ only when asked (KSD_SCREENSHOTS=1, `chromium.SCREENSHOTS`)."""
    await page.screenshot(path=str(SCREENSHOTS / f"ruang-kerja-{name}.png"), full_page=True)


async def _context(browser: Browser, errors: list[str]) -> BrowserContext:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID",
                                        accept_downloads=True)
    context.on("page", lambda p: p.on("pageerror", lambda e: errors.append(str(e))))
    return context


async def _sign_in(context: BrowserContext, platform: Platform, username: str, password: str,
                   new_password: str | None = None) -> Page:
    """Through the workspace's *Masuk* and Keycloak's own login page, back to the workspace."""
    page = await context.new_page()
    await page.goto(f"{platform.url['intake']}/ruang-kerja/")
    await page.click("#masuk")
    await page.wait_for_url(re.compile(r"/realms/ksd/protocol/openid-connect/auth"))
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")
    if new_password is not None:  # a first sign-in with a temporary password: Keycloak asks for a new one
        await page.fill("#password-new", new_password)
        await page.fill("#password-confirm", new_password)
        await page.click("[type=submit]")
    await _drawn(page, "kerja-sama")
    return page


async def _drawn(page: Page, route: str, renders: str | None = None) -> None:
    """Until the workspace has drawn `route` (after the draw numbered `renders`). Waited for by
    selector: the pages' Content-Security-Policy refuses the eval a waited-for function needs."""
    after = f":not([data-renders='{renders}'])" if renders is not None else ""
    await expect(page.locator(f"body[data-ready='{route}']{after}")).to_be_attached(timeout=30_000)


async def _visit(page: Page, route: str) -> None:
    """Go to a page of the workspace (again, when it is there already) and wait until it has drawn."""
    renders = await page.evaluate("document.body.dataset.renders || ''")
    await page.evaluate("hash => { if (location.hash === hash) RuangKerja.route(); else location.hash = hash; }",
                        f"#/{route}")
    await _drawn(page, route.split("?")[0].split("/")[0], renders)


async def _no_token_in_storage(page: Page) -> None:
    stored = await page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
                                 " document.cookie])")
    assert stored == '[[],[],""]', stored  # and the session cookie is HttpOnly: no script reads it


async def _person(platform: Platform, role: str, region: str) -> Account:
    return await platform.keycloak.person(role, region)


async def test_propose_refused_fixed_applied_then_reported_by_the_partner(platform: Platform, browser: Browser) -> None:
    errors: list[str] = []
    proposer, partner = await _person(platform, "regency", KENDARI), await _person(platform, "regency", KONAWE)
    title = f"Pengelolaan sampah regional Kendari-Konawe {uuid4().hex[:6]}"
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, proposer.name, proposer.password)
    await expect(page.locator("#who")).to_contain_text("Kota Kendari")
    await _no_token_in_storage(page)

    await _visit(page, "ajukan/agreement.propose")
    # Checked in the page against intake's schema: nothing is sent while a required field is empty.
    await page.click("form.submission button[type=submit]")
    await expect(page.locator("[data-path=title] .field-error")).to_contain_text("wajib diisi (missing)")
    await page.fill("[name=title]", title)
    await page.fill("[name=initiated_on]", today_wib().strftime("%d/%m/%Y"))  # as people here write it
    await expect(page.locator("[data-path=initiated_on] .as-read")).to_have_text(day(today_wib().isoformat()))
    await page.fill("[name=urusan]", "2.11")
    # The partner as a third party: the schema allows it, intake's rule for a KSDD does not.
    await page.select_option("[name='parties.1.type']", "third_party")
    await page.fill("[name='parties.1.name']", "PT Sampah Bersih")
    await page.select_option("[name='parties.1.category']", "swasta")
    await page.click("form.submission button[type=submit]")
    refusal = page.locator("[data-path=parties] > .field-error")
    await expect(refusal).to_contain_text("KSDD memerlukan paling sedikit dua daerah")
    await expect(page.locator(".errors")).to_contain_text("value_error")
    await _screenshot(page, "ajukan-ditolak")
    # Fixed: Kabupaten Konawe as the second region.
    await page.select_option("[name='parties.1.type']", "region")
    await page.fill("[name='parties.1.code']", KONAWE)
    await page.click("form.submission button[type=submit]")
    await _drawn(page, "pengajuan")
    proposed = page.locator("table.submissions tbody tr").first
    await expect(proposed.locator(".status")).to_have_text(APPLIED, timeout=60_000)
    submission_id = await proposed.get_attribute("data-id")
    intake = await platform.database("intake")
    try:
        agreement_id = str(await intake.fetchval("SELECT agreement_id FROM submissions WHERE id = $1::uuid",
                                                 submission_id))
        assert await intake.fetchval("SELECT actor FROM submissions WHERE id = $1::uuid", submission_id) \
            == proposer.actor
    finally:
        await intake.close()
    await _screenshot(page, "pengajuan")

    # The partner's operator: the KSDD awaits Konawe's own report until it is reported.
    partner_context = await _context(browser, errors)
    other = await _sign_in(partner_context, platform, partner.name, partner.password)
    awaiting = other.locator(f"tr[data-agreement='{agreement_id}']")
    for _ in range(60):  # reporting folds the proposal from the topic a moment after it is applied
        await _visit(other, "menunggu")
        if await awaiting.count():
            break
        await asyncio.sleep(1)
    await expect(awaiting).to_contain_text(title)
    await _screenshot(other, "menunggu")
    await awaiting.locator("a", has_text="Laporkan").click()
    await _drawn(other, "ajukan")
    await expect(other.locator("[name=title]")).to_have_value(title)
    await expect(other.locator("[name=agreement_id]")).to_have_value(agreement_id)
    await other.click("form.submission button[type=submit]")
    await _drawn(other, "pengajuan")
    await expect(other.locator("table.submissions tbody tr").first.locator(".status")).to_have_text(
        APPLIED, timeout=60_000)
    for _ in range(60):
        await _visit(other, "menunggu")
        if not await awaiting.count():
            break
        await asyncio.sleep(1)
    assert not await awaiting.count(), "still awaiting Konawe's report after it was applied"

    # Reported by both, the proposer alone cannot withdraw it: refused, with the rule in plain words.
    await _visit(page, f"ajukan/agreement.withdraw?kerja_sama={agreement_id}")
    await page.fill("[name=reason]", "Tercatat dua kali")
    await page.click("form.submission button[type=submit]")
    await _drawn(page, "pengajuan")
    withdrawal = page.locator("table.submissions tbody tr").first
    await expect(withdrawal.locator(".status")).to_have_text("Ditolak", timeout=60_000)
    await expect(withdrawal.locator(".reason")).to_contain_text(
        "Hanya daerah yang mencatat sendiri dan satu-satunya pelapor yang dapat menarik catatan.")
    await expect(withdrawal.locator(".reason")).to_contain_text(
        "Yang perlu dilakukan: Bila pihak lain sudah melaporkannya, perbaiki dengan agreement.correct.")
    await _screenshot(page, "pengajuan-ditolak")
    await _visit(page, "kerja-sama")
    await expect(page.locator(f"tr[data-agreement='{agreement_id}'] .stage")).to_have_text("Inisiasi")
    await _screenshot(page, "kerja-sama")
    await context.close()
    await partner_context.close()
    assert not errors, errors


async def test_an_administrator_creates_and_revokes_an_operator(platform: Platform, browser: Browser) -> None:
    errors: list[str] = []
    admin = await _person(platform, "region_admin", KENDARI)
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, admin.name, admin.password)
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await _visit(page, "akun")
    username, first_password, password = f"op-{SLOT}-{uuid4().hex[:8]}", uuid4().hex, uuid4().hex
    await page.fill("#baru [name=username]", username)
    await page.fill("#baru [name=first_name]", "Sari")
    await page.fill("#baru [name=last_name]", "Operator")
    await page.fill("#baru [name=email]", f"{username}@kendarikota.go.id")
    await page.fill("#baru [name=password]", first_password)
    await page.click("#baru button")
    row = page.locator(f"tr[data-username='{username}']")
    await expect(row).to_contain_text("Aktif")
    await platform.keycloak.find(username)  # deleted at the end of the run
    await _screenshot(page, "akun")

    operator_context = await _context(browser, errors)
    operator = await _sign_in(operator_context, platform, username, first_password, new_password=password)
    await expect(operator.locator("#who")).to_contain_text("Kota Kendari")

    await row.locator("button.revoke").click()
    await expect(row).to_contain_text("Dicabut")
    revoked_at = asyncio.get_running_loop().time()
    # The operator's open session: its next call is refused, and the page asks them to sign in.
    while True:
        await operator.reload()
        if await operator.locator("#masuk").count():
            break
        assert asyncio.get_running_loop().time() - revoked_at < 20, "the revoked session still works"
        await asyncio.sleep(1)
    answer = await operator_context.request.get(f"{platform.url['intake']}/ruang-kerja/api/reporting/v1/agreements")
    assert answer.status == 401 and (await answer.json())["code"] == "workspace.session_ended"
    await context.close()
    await operator_context.close()
    assert not errors, errors


async def test_offline_submissions_are_sent_once_when_the_connection_returns(
    platform: Platform, browser: Browser
) -> None:
    errors: list[str] = []
    operator = await _person(platform, "regency", KENDARI)
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, operator.name, operator.password)
    await _visit(page, "ajukan/agreement.propose")
    await context.set_offline(True)
    await expect(page.locator("#network")).to_be_visible()
    titles = [f"Air minum lintas batas {n} {uuid4().hex[:6]}" for n in (1, 2)]
    for n, title in enumerate(titles, start=1):
        await page.fill("[name=title]", title)
        await page.fill("[name=initiated_on]", today_wib().isoformat())
        await page.fill("[name='parties.1.code']", KONAWE)
        await page.click("form.submission button[type=submit]")
        await expect(page.locator("#hasil")).to_contain_text(f"{n} pengajuan menunggu di antrean")
        await expect(page.locator("[name=title]")).to_have_value("")  # a fresh form for the next one
    await _visit(page, "pengajuan")
    queued = page.locator("table.outbox tbody tr")
    await expect(queued).to_have_count(2)
    await expect(queued.locator(".state")).to_have_text(["Menunggu koneksi"] * 2)
    keys = [await row.get_attribute("data-key") for row in await queued.all()]
    await _screenshot(page, "antrean")

    await context.set_offline(False)
    await expect(page.locator("table.outbox .state")).to_have_text(["Terkirim"] * 2, timeout=30_000)
    for key in keys:
        await expect(page.locator(f"table.submissions tr[data-key='{key}'] .status")).to_have_text(
            APPLIED, timeout=60_000)
    assert sorted(await _recorded(platform, operator.actor)) == sorted((k, "applied") for k in keys)
    await context.close()
    assert not errors, errors


async def _recorded(platform: Platform, actor: str) -> list[tuple[str, str]]:
    """What intake holds of `actor`'s submissions: (idempotency key, status) each."""
    intake = await platform.database("intake")
    try:
        rows = await intake.fetch("SELECT idempotency_key, status FROM submissions WHERE actor = $1", actor)
    finally:
        await intake.close()
    return [(r["idempotency_key"], r["status"]) for r in rows]


async def test_a_submission_intake_cannot_take_now_is_sent_again_with_its_key(
    platform: Platform, browser: Browser
) -> None:
    """Intake answers 503 with Retry-After (restarting, its database unavailable: nothing was
    written): the submission waits in the outbox, is sent again after that second under the same
    Idempotency-Key with the network up all along (no `online` event comes), and is applied once.
    The one 503 is put in the browser's path (Playwright's route), since the shared test platform's
    database must stay up; intake's own 503 is tests/unit/test_db_unavailable.py's."""
    errors: list[str] = []
    operator = await _person(platform, "regency", KENDARI)
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, operator.name, operator.password)
    await _visit(page, "ajukan/agreement.propose")
    keys: list[str | None] = []

    async def busy_once(route: Route) -> None:
        keys.append(await route.request.header_value("Idempotency-Key"))
        if len(keys) == 1:
            await route.fulfill(status=503, headers={"Retry-After": "1"}, json={
                "type": "about:blank", "title": "Layanan tidak tersedia", "status": 503,
                "code": "database.unavailable", "detail": "Coba lagi sebentar."})
        else:
            await route.continue_()

    await page.route("**/api/intake/v1/submissions", busy_once)
    await page.fill("[name=title]", f"Air minum saat intake sibuk {uuid4().hex[:6]}")
    await page.fill("[name=initiated_on]", today_wib().isoformat())
    await page.fill("[name='parties.1.code']", KONAWE)
    await page.click("form.submission button[type=submit]")
    await expect(page.locator("#hasil")).to_contain_text("Platform sedang tidak dapat menerima")
    await _visit(page, "pengajuan")
    await expect(page.locator("table.outbox .state")).to_have_text(["Terkirim"], timeout=30_000)
    assert len(keys) == 2 and keys[0] == keys[1], keys  # sent again, under the same key
    await expect(page.locator(f"table.submissions tr[data-key='{keys[0]}'] .status")).to_have_text(
        APPLIED, timeout=60_000)
    assert await _recorded(platform, operator.actor) == [(keys[0], "applied")]
    await context.close()
    assert not errors, errors


async def test_a_province_returns_one_record_and_verifies_another_and_the_regency_sees_it(
        platform: Platform, browser: Browser) -> None:
    """A province operator (Sulawesi Tenggara) finds two new records of Kota Kendari in its queue,
    returns one with a note and verifies the other; Kendari's operator finds the returned one in
    the list as Dikembalikan with the note, and the reminder in the inbox, which they mark read."""
    errors: list[str] = []
    regency = Node(platform, await platform.token("regency", KENDARI))
    titles = [f"Verifikasi {name} Kendari-Konawe {uuid4().hex[:6]}" for name in ("dikembalikan", "disetujui")]
    ids = []
    for title in titles:
        answer = await regency.outcome({"type": "agreement.propose", "data": {
            "kind": "KSDD", "title": title, "initiated_on": "2025-04-07", "urusan": ["2.11"],
            "parties": [{"type": "region", "code": KENDARI}, {"type": "region", "code": KONAWE}]}})
        assert answer["status"] == "applied", answer
        ids.append(answer["agreement_id"])
    returned, verified = ids
    note = "Lampirkan nomor surat inisiasi yang benar."

    province = await _person(platform, "province", "74")
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, province.name, province.password)
    await _visit(page, "verifikasi")
    row = page.locator(f"tr[data-agreement='{returned}']")
    await expect(row.locator(".state")).to_contain_text("Belum diverifikasi")
    await expect(row.locator(".state")).to_contain_text("Catatan baru")
    await row.locator("button[data-verdict='agreement.return']").click()
    await expect(row.locator(".answer")).to_contain_text("Tulis catatan")  # a return says what to correct
    await row.locator("textarea").fill(note)
    await row.locator("button[data-verdict='agreement.return']").click()
    await expect(row.locator(".answer")).to_contain_text("Terkirim")
    other = page.locator(f"tr[data-agreement='{verified}']")
    await other.locator("button[data-verdict='agreement.verify']").click()
    await expect(other.locator(".answer")).to_contain_text("Terkirim")
    await _screenshot(page, "verifikasi")

    for agreement, state in ((returned, "returned"), (verified, "verified")):
        await verification_of(regency, agreement, state)
    await _visit(page, "verifikasi?status=verified")
    await expect(page.locator(f"tr[data-agreement='{verified}'] .state")).to_contain_text("Terverifikasi")
    await context.close()

    reminded = ksd("admin", "remind", "--as-of", today_wib().isoformat())
    assert reminded.returncode == 0, reminded.stderr
    operator = await _person(platform, "regency", KENDARI)
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, operator.name, operator.password)
    listed = page.locator(f"tr[data-agreement='{returned}'] .verification")
    await expect(listed).to_contain_text("Dikembalikan")
    await expect(listed).to_contain_text(note)
    await _visit(page, "kotak-masuk")
    item = page.locator(f"li[data-agreement='{returned}']")
    await expect(item.locator("h2")).to_contain_text("Catatan kerja sama dikembalikan provinsi")
    await expect(item).to_contain_text(note)
    unread = int(await page.locator("#belum-dibaca").inner_text())
    await _screenshot(page, "kotak-masuk")
    await item.locator("button.mark").click()
    await expect(page.locator("#belum-dibaca")).to_have_text(str(unread - 1))
    await expect(page.locator(f"li[data-agreement='{returned}']")).to_have_class("read")
    await context.close()
    assert not errors, errors


REGISTER = ("No;Judul Kerja Sama;Jenis;Pihak/Mitra;Urusan;Nomor KSB;Tanggal KSB;Nomor PKS;Tanggal PKS;"
            "Tanggal Mulai;Tanggal Berakhir;Nilai (Rp);Sumber Dana\n")


async def test_a_register_upload_and_the_regions_mapping(platform: Platform, browser: Browser) -> None:
    errors: list[str] = []
    operator, partner = await _person(platform, "regency", KENDARI), await _person(platform, "regency", KONAWE)
    unique = uuid4().hex[:6]
    register = (REGISTER + f"1;Pengelolaan sampah {unique};KSDD;Kabupaten Konawe;2.11;KSB/{unique};12/12/2023;;;;;;\n"
                f"2;Pelatihan aparatur {unique};KSDPK;Universitas Halu Oleo;;KSB/2/{unique};31/02/2020;;;;;;\n")
    context = await _context(browser, errors)
    page = await _sign_in(context, platform, operator.name, operator.password)
    await _visit(page, "unggah")
    upload: FilePayload = {"name": "register.csv", "mimeType": "text/csv", "buffer": register.encode()}
    await page.set_input_files("#unggah [name=file]", files=[upload])
    await page.click("#unggah button")
    await expect(page.locator(".summary")).to_have_text("2 baris: 1 diterima, 1 ditolak.", timeout=60_000)
    await expect(page.locator("tr[data-row='3']")).to_contain_text("Tanggal KSB")
    proposed = f"{SUBMISSION_TYPES['agreement.propose']}: diterapkan"
    await expect(page.locator("tr[data-row='2']")).to_contain_text(proposed)
    await _screenshot(page, "unggah")
    async with page.expect_download() as downloading:
        await page.click("text=Unduh baris yang perlu diperbaiki")
    rows = Path(await (await downloading.value).path()).read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == REGISTER.strip() + ";Perbaikan yang diperlukan"
    assert len(rows) == 2 and rows[1].startswith(f"2;Pelatihan aparatur {unique};") and "Tanggal KSB" in rows[1]

    # Konawe offers waste management (through the API, as its own system would); Kendari's mapping
    # page then suggests it as a partner for that affair, as mapping ranks it.
    async with httpx.AsyncClient(timeout=30) as client:
        declared = await client.post(f"{platform.url['intake']}/v1/submissions", headers={
            "Authorization": f"Bearer {partner.token}", "Idempotency-Key": str(uuid4())}, json={
            "type": "region.declare_cooperable_affairs",
            "data": {"region": KONAWE, "declared_on": today_wib().isoformat(), "offers": ["2.11"]}})
        assert declared.status_code == 202, declared.text
    suggested = page.locator("table.partners tr[data-code='74.02']")
    for _ in range(60):
        await _visit(page, "pemetaan?urusan=2.11")
        if await suggested.count():
            break
        await asyncio.sleep(1)
    await expect(suggested).to_contain_text("Kabupaten Konawe")
    await expect(suggested).to_contain_text("2.11")
    await _screenshot(page, "pemetaan")
    await context.close()
    assert not errors, errors
