// The province's verification (DHIS2's data approval): its regencies/cities' records not verified
// yet or changed since (with what changed), each verified or returned with a note. The verdicts are
// the submissions agreement.verify and agreement.return: intake and the agreement service refuse
// them from anyone but the province of a party regency/city (ksd_contracts.regions.verifies).
"use strict";
(() => {
  const { esc, momentText, load } = RuangKerja;
  const TABS = ["unverified", "returned", "verified"];

  // What the province has not seen: every step of a new record, or those since its last decision.
  function changes(v, steps) {
    const listed = (v.changes || []).map((c) => `${esc(steps[c.step] || c.step)} (${esc(c.by)}, ${momentText(c.at)})`);
    if (!v.verdict) return `Catatan baru: ${listed.join("; ")}`;
    return listed.length ? `Berubah sejak keputusan terakhir: ${listed.join("; ")}` : "";
  }

  function verdict(v, words) {
    if (!v.verdict) return "";
    return `<br><small>Terakhir: ${esc(words[v.verdict])} oleh ${esc(v.by)}, ${momentText(v.at)}${v.note
      ? ` — “${esc(v.note)}”` : ""}</small>`;
  }

  RuangKerja.page({
    id: "verifikasi",
    title: "Verifikasi",
    roles: ["province"],
    async render(body, at) {
      const names = await RuangKerja.catalogue();
      const { statuses, verification: words, steps } = await RuangKerja.forms();
      const state = TABS.includes(at.query.get("status")) ? at.query.get("status") : "unverified";
      const own = RuangKerja.me.region;
      const list = await load("reporting", `v1/agreements?limit=200&verification=${state}`);
      // The province verifies the records of its own regencies/cities (the rule is the services').
      const items = list.items.filter((a) => a.regions.some((c) => c.startsWith(`${own}.`)));
      const tabs = TABS.map((s) => `<a href="#/verifikasi?status=${s}"${s === state ? ' aria-current="page"' : ""}>
        ${esc(words[s])}</a>`).join(" · ");
      body.innerHTML = `<p class="tabs">${tabs}</p><p>${items.length} catatan kabupaten/kota ${esc(RuangKerja.me.region_name)}
        dalam keadaan <strong>${esc(words[state])}</strong>.</p>${items.length ? `<table class="list verification"><thead><tr>
        <th>Kerja sama</th><th>Pihak</th><th>Tahap</th><th>Verifikasi</th><th>Catatan dan keputusan</th></tr></thead><tbody>
        ${items.map((a) => `<tr data-agreement="${esc(a.agreement_id)}"><td>${esc(a.title)}<br><small>${esc(a.registry_number || "")}</small></td>
        <td>${esc(a.regions.map((c) => names.regions[c] || c).join(", "))}</td><td>${esc(statuses[a.status] || a.status)}</td>
        <td class="state">${esc(words[a.verification.state])}${verdict(a.verification, words)}<br>
        <small>${changes(a.verification, steps)}</small></td>
        <td><textarea name="note" rows="2" maxlength="2000" aria-label="Catatan"
        placeholder="Catatan (wajib bila dikembalikan)"></textarea><br>
        <button data-verdict="agreement.verify">Verifikasi</button> <button data-verdict="agreement.return">Kembalikan</button>
        <span class="answer" role="status"></span></td></tr>`).join("")}</tbody></table>` : "<p>Tidak ada.</p>"}`;
      body.querySelectorAll("button[data-verdict]").forEach((button) => button.addEventListener("click", async () => {
        const row = button.closest("tr");
        const note = row.querySelector("textarea").value.trim();
        const answer = row.querySelector(".answer");
        if (button.dataset.verdict === "agreement.return" && !note) {
          answer.textContent = "Tulis catatan: apa yang harus diperbaiki kabupaten/kota.";
          return;
        }
        const sent = await RuangKerja.submit(button.dataset.verdict,
          { agreement_id: row.dataset.agreement, ...(note ? { note } : {}) });
        answer.textContent = sent.queued ? "Disimpan di antrean luring."
          : sent.status === 202 ? "Terkirim; lihat hasilnya di Pengajuan." : RuangKerja.problemText(sent.data);
        if (sent.queued || sent.status === 202) row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      }));
    },
  });
})();
