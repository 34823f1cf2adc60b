// The region's mapping (mapping's API): its TKKSD decree, the affairs it offers and needs, its
// potentials and neighbours, and partner suggestions for an affair. Each is declared with a form.
"use strict";
(() => {
  const { esc, dateText, rupiah, load } = RuangKerja;
  const TIER = { "confirmed neighbour": "Tetangga (dikonfirmasi kedua pihak)", "same province": "Satu provinsi",
    elsewhere: "Provinsi lain" };

  RuangKerja.page({
    id: "pemetaan",
    title: "Pemetaan daerah",
    roles: ["regency", "province", "region_admin"],
    async render(body, at) {
      const names = await RuangKerja.catalogue();
      const own = RuangKerja.me.region;
      const mapping = await load("mapping", `v1/regions/${encodeURIComponent(own)}/mapping`);
      const urusan = (codes) => (codes || []).map((c) => `${esc(c)} ${esc(names.urusan[c] || "")}`).join("<br>") || "–";
      const declared = mapping.declarations || {};
      const tkksd = declared["region.record_tkksd"];
      const affairs = declared["region.declare_cooperable_affairs"] || {};
      const potentials = (declared["region.declare_potential"] || {}).potentials || [];
      const confirmed = new Set(mapping.neighbours.confirmed);
      const declare = (type, text) => (RuangKerja.me.submits ? `<a href="#/ajukan/${type}">${text}</a>` : "");
      const chosen = at.query.get("urusan") || "";
      body.innerHTML = `<section><h2>TKKSD</h2>${tkksd ? `<p>SK ${esc(tkksd.decree_number)} tanggal ${dateText(tkksd.decree_date)},
        ${(tkksd.members || []).length} anggota.</p>` : "<p>Belum ada SK TKKSD tercatat.</p>"}
        ${declare("region.record_tkksd", "Catat SK TKKSD")}</section>
        <section><h2>Urusan</h2><table class="list compact"><tr><th>Ditawarkan</th><td>${urusan(affairs.offers)}</td></tr>
        <tr><th>Dibutuhkan</th><td>${urusan(affairs.needs)}</td></tr></table>
        ${declare("region.declare_cooperable_affairs", "Nyatakan urusan")}</section>
        <section><h2>Potensi</h2>${potentials.length ? `<table class="list"><thead><tr><th>Potensi</th><th>Urusan</th>
        <th>Skala</th><th>Nilai</th></tr></thead><tbody>${potentials.map((p) => `<tr><td>${esc(p.title)}<br><small>${esc(p.description)}</small></td>
        <td>${urusan([p.urusan])}</td><td>${esc(p.scale)}</td><td class="number">${rupiah(p.value_idr)}</td></tr>`).join("")}</tbody></table>`
        : "<p>Belum ada potensi tercatat.</p>"}${declare("region.declare_potential", "Nyatakan potensi")}</section>
        <section><h2>Daerah tetangga</h2>${mapping.neighbours.declared.length ? `<ul>${mapping.neighbours.declared.map((n) =>
          `<li>${esc(names.regions[n] || n)} (${esc(n)}) — ${confirmed.has(n) ? "dikonfirmasi kedua pihak" : "belum dikonfirmasi"}</li>`).join("")}</ul>`
        : "<p>Belum ada tetangga tercatat.</p>"}${declare("region.declare_neighbours", "Nyatakan tetangga")}</section>
        <section><h2>Usulan mitra</h2><form id="mitra"><label>Urusan <select name="urusan"><option value="">Yang dibutuhkan daerah ini</option>
        ${Object.entries(names.urusan).map(([c, n]) => `<option value="${c}"${c === chosen ? " selected" : ""}>${c} ${esc(n)}</option>`).join("")}
        </select></label> <button>Tampilkan</button></form><div id="usulan"><p>Memuat…</p></div></section>`;
      body.querySelector("#mitra").addEventListener("submit", (event) => {
        event.preventDefault();
        location.hash = `#/pemetaan?urusan=${encodeURIComponent(event.target.urusan.value)}`;
      });
      const partners = await load("mapping", `v1/regions/${encodeURIComponent(own)}/partners?limit=10${chosen ? `&urusan=${chosen}` : ""}`);
      body.querySelector("#usulan").innerHTML = partners.partners.length ? `<table class="list partners"><thead><tr><th>Daerah</th>
        <th>Kedekatan</th><th>Urusan yang ditawarkan</th><th>Potensi</th><th>Kerja sama yang sudah ada</th></tr></thead><tbody>
        ${partners.partners.map((p) => `<tr data-code="${esc(p.code)}"><td>${esc(p.name)} (${esc(p.code)})</td>
        <td>${esc(TIER[p.tier] || p.tier)}</td><td>${urusan(p.urusan)}</td><td class="number">${p.potentials}</td>
        <td class="number">${p.agreements_total}</td></tr>`).join("")}</tbody></table>`
        : `<p>Belum ada daerah yang menawarkan ${partners.urusan.length ? "urusan ini" : "urusan yang dibutuhkan (nyatakan dulu urusan yang dibutuhkan)"}.</p>`;
    },
  });
})();
