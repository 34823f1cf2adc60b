// KSDD a partner reported that await this region's own report (reporting's list with
// `awaiting_report_of`): reporting it is the same agreement.propose with the partner's agreement_id.
"use strict";
(() => {
  const { esc, load } = RuangKerja;
  RuangKerja.page({
    id: "menunggu",
    title: "Menunggu laporan Anda",
    roles: ["regency", "province", "region_admin"],
    async render(body) {
      await RuangKerja.catalogue();
      const { statuses } = await RuangKerja.forms();
      const own = RuangKerja.me.region;
      const list = await load("reporting", `v1/agreements?limit=100&awaiting_report_of=${encodeURIComponent(own)}`);
      const report = RuangKerja.me.submits
        ? (a) => `<a class="button" href="#/ajukan/agreement.propose?lapor=${esc(a.agreement_id)}">Laporkan</a>` : null;
      body.innerHTML = `<p>Kerja sama yang sudah dilaporkan daerah mitra tetapi belum dilaporkan
        ${esc(RuangKerja.me.region_name)}. Laporan kedua pihak membuat catatan KSDD lengkap.</p>
        ${list.items.length ? RuangKerja.agreementTable(list.items, statuses, report) : "<p>Tidak ada yang menunggu laporan Anda.</p>"}`;
    },
  });
})();
