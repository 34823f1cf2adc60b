// The region's agreements and their stage, from reporting's list (read with the person's own
// token: a regency sees its own, a province its regencies' too).
"use strict";
(() => {
  const { esc, dateText, rupiah, load } = RuangKerja;
  let names = null;

  // The names of regions and affairs (mapping's public catalogue), once per page load.
  async function catalogue() {
    if (!names) {
      const [regions, affairs] = await Promise.all([load("mapping", "v1/regions"), load("mapping", "v1/urusan")]);
      names = { regions: Object.fromEntries(regions.regions.map((r) => [r.code, r.name])),
        urusan: Object.fromEntries(affairs.urusan.map((u) => [u.code, u.name])) };
    }
    return names;
  }
  RuangKerja.catalogue = catalogue;
  const partners = (codes, own) => codes.filter((c) => c !== own).map((c) => names.regions[c] || c).join(", ");

  // One table of agreements, shared with the page of agreements awaiting this region's report.
  // The province's verification as it stands: returned with its note, so the regency sees what to correct.
  const verification = (v) => {
    const words = RuangKerja.formsNow().verification;
    return `${esc(words[v.state] || v.state)}${v.state === "returned" && v.note ? `<br><small>“${esc(v.note)}”</small>` : ""}`;
  };
  RuangKerja.agreementTable = (items, statuses, action) => `<table class="list"><thead><tr><th>Judul</th><th>Jenis</th>
    <th>Tahap</th><th>Verifikasi</th><th>Pihak lain</th><th>Inisiasi</th><th>Berakhir</th><th>Nilai</th>${action ? "<th></th>" : ""}</tr></thead>
    <tbody>${items.map((a) => `<tr data-agreement="${esc(a.agreement_id)}"><td>${esc(a.title)}<br><small>${esc(a.registry_number || "")}</small></td>
    <td>${esc(a.kind)}</td><td class="stage">${esc(statuses[a.status] || a.status)}</td>
    <td class="verification">${verification(a.verification)}</td>
    <td>${esc(partners(a.regions, RuangKerja.me.region))}</td><td>${dateText(a.initiated_on)}</td><td>${dateText(a.end_on)}</td>
    <td class="number">${rupiah(a.value_idr)}</td>${action ? `<td>${action(a)}</td>` : ""}</tr>`).join("")}</tbody></table>`;

  RuangKerja.page({
    id: "kerja-sama",
    title: "Kerja sama",
    async render(body, at) {
      await catalogue();
      const { statuses } = await RuangKerja.forms();
      const q = at.query.get("q") || "";
      const query = new URLSearchParams({ limit: "100", ...(q ? { q } : {}) });
      const list = await load("reporting", `v1/agreements?${query}`);
      body.innerHTML = `<form class="search"><input name="q" value="${esc(q)}" placeholder="Cari judul…">
        <button>Cari</button> <a class="button" href="#/ajukan/agreement.propose">Inisiasi kerja sama baru</a></form>
        <p>${list.total} kerja sama ${RuangKerja.me.region ? `dengan ${esc(RuangKerja.me.region_name)} sebagai pihak` : ""}.</p>
        ${list.items.length ? RuangKerja.agreementTable(list.items, statuses) : "<p>Belum ada kerja sama tercatat.</p>"}`;
      body.querySelector("form").addEventListener("submit", (event) => {
        event.preventDefault();
        location.hash = `#/kerja-sama?q=${encodeURIComponent(event.target.q.value)}`;
      });
    },
  });
})();
