// The region's own submissions with their status; a refused one with the rule in plain Indonesian
// and what to do (intake's `pesan`, `tindakan`). Above them, the outbox: what was prepared offline.
"use strict";
(() => {
  const { esc, momentText, load } = RuangKerja;
  const STATUS = { accepted: "Diterima, sedang diproses", held: "Ditahan", applied: "Diterapkan", rejected: "Ditolak" };
  const OUTBOX = { menunggu: "Menunggu koneksi", terkirim: "Terkirim", ditolak: "Ditolak intake" };

  function reasons(item) {
    return (item.reasons || []).map((r) => `<div class="reason"><strong>${esc(r.pesan || r.rule)}</strong>
      ${r.tindakan ? `<br>Yang perlu dilakukan: ${esc(r.tindakan)}` : ""}<br><small>aturan <code>${esc(r.rule)}</code>
      ${r.detail ? `— ${esc(r.detail)}` : ""}</small></div>`).join("");
  }

  async function outbox(types) {
    const items = (await RuangKerja.queued()).sort((a, b) => b.prepared_at.localeCompare(a.prepared_at));
    if (!items.length) return "";
    return `<h2>Antrean luring</h2><table class="list outbox"><thead><tr><th>Disiapkan</th><th>Jenis</th>
      <th>Kunci (Idempotency-Key)</th><th>Keadaan</th></tr></thead><tbody>${items.map((i) => `<tr data-key="${esc(i.key)}">
      <td>${momentText(i.prepared_at)}</td><td>${esc((types[i.type] || {}).title || i.type)}</td><td><code>${esc(i.key)}</code></td>
      <td class="state">${esc(OUTBOX[i.state])}${i.problem ? `: ${esc(RuangKerja.problemText(i.problem))}` : ""}</td></tr>`)
      .join("")}</tbody></table>`;
  }

  RuangKerja.page({
    id: "pengajuan",
    title: "Pengajuan",
    async render(body) {
      const described = await RuangKerja.forms();
      const queued = await outbox(described.types);
      let list;
      try {
        list = await load("intake", "v1/submissions?limit=100");
      } catch (error) {
        if (error instanceof RuangKerja.SessionEnded) throw error;
        body.innerHTML = `${queued}<h2>Pengajuan daerah</h2><p class="error">Daftar pengajuan tidak dapat dimuat
          ${navigator.onLine ? `(${esc(error.message)})` : "selama luring"}.</p>`;
        return;
      }
      body.innerHTML = `${queued}<h2>Pengajuan daerah</h2><p><button id="muat">Muat ulang</button></p>
        ${list.items.length ? `<table class="list submissions"><thead><tr><th>Diterima</th><th>Jenis</th><th>Oleh</th>
        <th>Status</th><th>Keterangan</th></tr></thead><tbody>${list.items.map((s) => `<tr data-id="${esc(s.id)}"
        data-key="${esc(s.idempotency_key)}" class="${esc(s.status)}"><td>${momentText(s.accepted_at)}</td>
        <td>${esc((described.types[s.type] || {}).title || s.type)}<br><small><code>${esc(s.id)}</code></small></td>
        <td>${esc((s.actor || "").replace(/^person:/, ""))}</td><td class="status">${esc(STATUS[s.status] || s.status)}</td>
        <td>${reasons(s)}${s.status === "rejected" && s.type !== "agreement.correct"
          ? `<a href="#/ajukan/${esc(s.type)}${s.agreement_id ? `?kerja_sama=${esc(s.agreement_id)}` : ""}">Ajukan lagi dengan perbaikan</a>`
          : ""}</td></tr>`).join("")}</tbody></table>` : "<p>Belum ada pengajuan.</p>"}`;
      body.querySelector("#muat").addEventListener("click", () => RuangKerja.route());
      // Answers arrive asynchronously: look again while one is still being processed.
      if (list.items.some((s) => s.status === "accepted")) {
        setTimeout(() => { if (location.hash.startsWith("#/pengajuan")) RuangKerja.route(); }, 1500);
      }
    },
  });
  document.addEventListener("antrean", () => { if (location.hash.startsWith("#/pengajuan")) RuangKerja.route(); });
})();
