"""The workspace's sessions (ksd_intake.workspace) as a browser meets them, on the real Keycloak and
intake's database: the browser gets a random HttpOnly, SameSite=Strict cookie and never a token;
the tokens stay in intake's database, and the access token is refreshed there when it is about to
expire; a login finished in another browser than the one that started it opens nothing; a change
asked by another site is refused; signing out ends the session here and Keycloak's, refresh token
included."""

from __future__ import annotations

import httpx
from conftest import KEYCLOAK, SESSION, WORKSPACE, Platform


async def test_a_session_holds_the_tokens_server_side_and_signing_out_ends_keycloaks(platform: Platform) -> None:
    person = await platform.keycloak.person("regency", "74.71")
    async with httpx.AsyncClient(timeout=30) as browser:
        signed_in = await browser.get(await platform.workspace_login(browser, person))
        assert signed_in.status_code == 200
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith(f"{SESSION}="))
        attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", f"path={WORKSPACE}"} <= attributes
        assert "secure" not in attributes  # http://127.0.0.1: Secure only when reached over https
        session = browser.cookies[SESSION]
        assert person.token.split(".")[0] not in signed_in.text and "access_token" not in signed_in.text

        intake = await platform.database("intake")
        try:
            row = await intake.fetchrow("SELECT * FROM workspace_sessions WHERE actor = $1", person.actor)
            assert row is not None and session not in (row["session_hash"], row["access_token"])
            assert (row["role"], row["region"]) == ("regency", "74.71")
            me = await browser.get(f"{platform.url['intake']}{WORKSPACE}/api/saya")
            assert (me.status_code, me.json()["region_name"]) == (200, "Kota Kendari")

            # An access token about to expire is refreshed here, and the call goes on.
            await intake.execute("UPDATE workspace_sessions SET access_expires_at = now() WHERE actor = $1",
                                 person.actor)
            read = await browser.get(f"{platform.url['intake']}{WORKSPACE}/api/reporting/v1/agreements")
            assert read.status_code == 200, read.text
            refreshed = await intake.fetchrow("SELECT * FROM workspace_sessions WHERE actor = $1", person.actor)
            assert refreshed["access_token"] != row["access_token"]
            assert refreshed["refresh_token"] != row["refresh_token"]

            # A change asked by another site's page is refused, whatever the cookie.
            crossed = await browser.post(f"{platform.url['intake']}{WORKSPACE}/api/intake/v1/submissions",
                                         json={}, headers={"Sec-Fetch-Site": "cross-site"})
            assert (crossed.status_code, crossed.json()["code"]) == (403, "workspace.cross_site")

            out = await browser.post(f"{platform.url['intake']}{WORKSPACE}/keluar")
            assert out.status_code == 303
            assert await intake.fetchval("SELECT count(*) FROM workspace_sessions WHERE actor = $1",
                                         person.actor) == 0
        finally:
            await intake.close()
        after = await browser.get(f"{platform.url['intake']}{WORKSPACE}/api/saya",
                                  headers={"Cookie": f"{SESSION}={session}"})
        assert (after.status_code, after.json()["code"]) == (401, "workspace.session_ended")
        # Keycloak's session ended with it: its refresh token is refused.
        refresh = await browser.post(f"{KEYCLOAK}/realms/ksd/protocol/openid-connect/token", data={
            "grant_type": "refresh_token", "client_id": "ksd-workspace", "refresh_token": refreshed["refresh_token"]})
        assert refresh.status_code == 400, refresh.text


async def test_the_pages_run_only_their_own_scripts(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=30) as browser:
        page = await browser.get(f"{platform.url['intake']}{WORKSPACE}/")
    assert page.status_code == 200 and "Ruang Kerja" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in page.text  # every script is a file of its own: no inline script to allow


async def test_a_login_finished_in_another_browser_opens_nothing(platform: Platform) -> None:
    person = await platform.keycloak.person("regency", "74.71")
    async with httpx.AsyncClient(timeout=30) as started, httpx.AsyncClient(timeout=30) as other:
        back = await platform.workspace_login(started, person)
        answer = await other.get(back)  # without the pre-login cookie of the browser that started it
        assert answer.status_code == 400 and SESSION not in other.cookies
        assert "Masuk tidak selesai" in answer.text
        # The same code cannot be used again by the browser that started it: the login is spent.
        assert (await started.get(back)).status_code == 400
