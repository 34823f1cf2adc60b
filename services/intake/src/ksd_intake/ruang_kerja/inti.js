// The workspace's core: who is signed in, calls to the platform through the workspace's backend
// (the session cookie goes with them; the page never sees a token), Indonesian formats, the menu
// and the router, and the outbox of submissions prepared offline (IndexedDB).
// A page is added with RuangKerja.page({ id, title, roles, render }) in a file of its own
// (README, "Ruang Kerja").
"use strict";
const RuangKerja = (() => {
  const pages = [];
  const number = new Intl.NumberFormat("id-ID");
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];
  const ROLES = { regency: "Operator kabupaten/kota", province: "Operator provinsi", region_admin: "Administrator daerah",
    directorate: "Direktorat", auditor: "Auditor" };
  const state = { me: null, forms: null, rendering: 0 };

  // --- formats -----------------------------------------------------------------------------------
  const esc = (text) => String(text ?? "").replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // Dates as people here read them: 2026-11-28 -> 28 Nov 2026 (ksd_contracts.labels.day).
  function dateText(iso) {
    if (!iso) return "–";
    const [y, m, d] = iso.slice(0, 10).split("-");
    return `${Number(d)} ${MONTHS[Number(m) - 1]} ${y}`;
  }
  function momentText(iso) {
    if (!iso) return "–";
    const wib = new Date(new Date(iso).getTime() + 7 * 3600 * 1000).toISOString();
    return `${dateText(wib)} ${wib.slice(11, 16)} WIB`;
  }
  const rupiah = (n) => (n == null ? "–" : `Rp ${number.format(n)}`);
  const today = () => new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10);

  // --- the platform, through the workspace's backend ------------------------------------------------
  class SessionEnded extends Error {}

  async function api(service, path, { method = "GET", body, headers = {}, form } = {}) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
    if (form) init.body = form;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(`api/${service}/${path}`, init);
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.blob();
    if (response.status === 401) {
      signedOut(data && data.detail);
      throw new SessionEnded(data && data.detail);
    }
    return { status: response.status, ok: response.ok, data,
      retryAfter: Number(response.headers.get("Retry-After")) || null };
  }

  async function load(service, path) {
    const answer = await api(service, path);
    if (!answer.ok) throw new Error(problemText(answer.data));
    return answer.data;
  }

  function problemText(problem) {
    if (!problem || typeof problem !== "object") return "Permintaan gagal.";
    const fields = (problem.errors || []).map((e) => `${e.loc.slice(2).join(".") || "isian"}: ${e.msg} (${e.code})`);
    return [problem.detail || problem.title, ...fields].join(" — ");
  }

  // --- the outbox: submissions prepared offline -------------------------------------------------------
  // Each submission gets its Idempotency-Key when it is prepared; sending it again (a retry, a second
  // tab, a connection that broke after the server recorded it) reuses that key, so intake records it once.
  const DB = "ruang-kerja";
  function database() {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(DB, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore("antrean", { keyPath: "key" });
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
  }
  async function store(mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("antrean", mode);
      const result = work(tx.objectStore("antrean"));
      tx.oncomplete = () => resolve(result.result ?? result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const queued = () => store("readonly", (s) => s.getAll());
  const keep = (item) => store("readwrite", (s) => s.put(item));

  async function send(item) {
    const answer = await api("intake", "v1/submissions", { method: "POST", body: { type: item.type, data: item.data },
      headers: { "Idempotency-Key": item.key } });
    return answer;
  }

  // A submission prepared in a form: sent now when online (queued when the network fails), queued
  // when offline. The answer: { queued } or intake's { status, data }.
  async function submit(type, data) {
    const item = { key: crypto.randomUUID(), type, data, prepared_at: new Date().toISOString(), state: "menunggu" };
    if (!navigator.onLine) {
      await keep(item);
      return { queued: true, item };
    }
    try {
      const answer = await send(item);
      if (!later(answer.status)) return answer;
      await keep(item);
      flushLater(answer.retryAfter);
      return { queued: true, item, busy: true };
    } catch (error) {
      if (error instanceof SessionEnded) throw error;
      await keep(item);
      flushLater();
      return { queued: true, item };
    }
  }

  // "Not now" (5xx, 429: intake restarting, its database unavailable) is no answer about the
  // submission: it waits in the outbox under its key and is sent again after the Retry-After given
  // (5 s without one), as is everything queued after a connection failed with the network still up.
  const later = (status) => status >= 500 || status === 429;
  let retry = null;
  function flushLater(seconds) {
    if (retry) return;
    retry = setTimeout(() => { retry = null; flush(); }, (seconds || 5) * 1000);
  }

  let flushing = null;
  // Send what waits in the outbox, oldest first, each with its own key; stop at the first network
  // failure or "not now" (the rest is tried again later, or at the next connection).
  async function flush() {
    if (flushing) return flushing;
    flushing = (async () => {
      const waiting = (await queued()).filter((i) => i.state === "menunggu")
        .sort((a, b) => a.prepared_at.localeCompare(b.prepared_at));
      for (const item of waiting) {
        let answer;
        try {
          answer = await send(item);
        } catch (error) {
          if (!(error instanceof SessionEnded) && navigator.onLine) flushLater();
          break;
        }
        if (answer.status === 202) Object.assign(item, { state: "terkirim", submission_id: answer.data.id });
        else if (later(answer.status)) {
          flushLater(answer.retryAfter);
          break;
        }
        else Object.assign(item, { state: "ditolak", problem: answer.data });
        item.sent_at = new Date().toISOString();
        await keep(item);
      }
      document.dispatchEvent(new CustomEvent("antrean"));
    })();
    try {
      await flushing;
    } finally {
      flushing = null;
    }
  }

  // --- signing in and out ----------------------------------------------------------------------------
  function signedOut(detail) {
    state.me = null;
    document.getElementById("who").textContent = "";
    document.getElementById("signout").hidden = true;
    document.getElementById("menu").innerHTML = "";
    document.getElementById("page").innerHTML = `<section class="signin">
      <h1>Ruang Kerja Kerja Sama Daerah</h1>
      <p>${esc(detail || "Masuk dengan akun daerah Anda untuk mengelola kerja sama, pengajuan, dan pemetaan.")}</p>
      <p><a class="button" id="masuk" href="masuk">Masuk</a></p></section>`;
  }

  async function whoAmI() {
    const response = await fetch("api/saya", { credentials: "same-origin" });
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(problemText(await response.json()));
    return response.json();
  }

  // --- pages, menu, router ---------------------------------------------------------------------------
  function page(definition) {
    pages.push(definition);
  }

  function visible(definition) {
    return !definition.roles || (state.me && definition.roles.includes(state.me.role));
  }

  function menu() {
    const route = location.hash.slice(2).split(/[/?]/)[0];
    document.getElementById("menu").innerHTML = pages.filter((p) => visible(p) && !p.hidden)
      .map((p) => `<a href="#/${p.id}"${p.id === route ? ' aria-current="page"' : ""}>${esc(p.title)}</a>`).join("");
  }

  function parameters() {
    const [path, query] = location.hash.slice(2).split("?");
    const [id, ...rest] = path.split("/");
    return { id: id || pages[0].id, rest, query: new URLSearchParams(query || "") };
  }

  async function route() {
    if (!state.me) return;
    const at = parameters();
    const definition = pages.find((p) => p.id === at.id && visible(p)) || pages.find(visible);
    const mine = ++state.rendering;
    const main = document.getElementById("page");
    menu();
    main.innerHTML = `<h1>${esc(definition.title)}</h1><div class="body"><p>Memuat…</p></div>`;
    const body = main.querySelector(".body");
    try {
      await definition.render(body, at);
    } catch (error) {
      if (error instanceof SessionEnded || mine !== state.rendering) return;
      body.innerHTML = `<p class="error">${esc(error.message)}</p>`;
    }
    if (mine !== state.rendering) return;
    // For whoever waits on the page (a test, a screen reader's focus): which page has drawn, how often.
    document.body.dataset.ready = definition.id;
    document.body.dataset.renders = String(state.rendering);
  }

  function network() {
    document.getElementById("network").hidden = navigator.onLine;
    if (navigator.onLine) flush();
  }

  async function start() {
    window.addEventListener("online", network);
    window.addEventListener("offline", network);
    window.addEventListener("hashchange", route);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
    network();
    let me;
    try {
      me = await whoAmI();
    } catch (error) {
      document.getElementById("page").innerHTML = `<p class="error">${esc(error.message)}</p>`;
      return;
    }
    if (!me) return signedOut();
    state.me = me;
    document.getElementById("who").innerHTML = `${esc(me.name || me.username)} · ${esc(ROLES[me.role] || me.role)}`
      + (me.region ? ` · <strong>${esc(me.region_name)}</strong> (${esc(me.region)})` : "");
    document.getElementById("signout").hidden = false;
    await route();
  }

  async function forms() {
    if (!state.forms) {
      const response = await fetch("api/formulir", { credentials: "same-origin" });
      state.forms = await response.json();
    }
    return state.forms;
  }

  return { page, start, api, load, submit, flush, queued, problemText, esc, dateText, momentText, rupiah, today,
    forms, formsNow: () => state.forms, route, get me() { return state.me; }, SessionEnded };
})();
