// Register upload (POST /v1/imports): the per-row report in the page, and the rows to fix as a
// CSV to download — for a CSV register its own rows with what to fix beside each, for a workbook
// the row numbers with what to fix.
"use strict";
(() => {
  const { esc } = RuangKerja;
  const OUTCOME = { applied: "diterapkan", rejected: "ditolak", pending: "masih diproses", accepted: "diterima, diproses",
    held: "ditahan" };

  // RFC 4180 with `,` or `;` (the delimiters intake reads): the rows as arrays of cells.
  function parseCsv(text) {
    const delimiter = (text.split("\n")[0].match(/;/g) || []).length > (text.split("\n")[0].match(/,/g) || []).length ? ";" : ",";
    const rows = [[]];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === delimiter) { rows[rows.length - 1].push(cell); cell = ""; }
      else if (c === "\n") { rows[rows.length - 1].push(cell.replace(/\r$/, "")); cell = ""; rows.push([]); }
      else cell += c;
    }
    if (cell || rows[rows.length - 1].length) rows[rows.length - 1].push(cell);
    return { delimiter, rows };
  }
  const csvCell = (value, delimiter) => (/["\n\r]/.test(value) || value.includes(delimiter)
    ? `"${value.replace(/"/g, '""')}"` : value);

  function rowsToFix(report, file, text) {
    const refused = report.report.filter((r) => r.status === "refused");
    const what = (r) => r.errors.map((e) => `${e.column ? `${e.column}: ` : ""}${e.msg}`).join("; ");
    let delimiter = ";";
    let lines;
    if (text !== null) {
      const parsed = parseCsv(text.replace(/^\uFEFF/, ""));
      delimiter = parsed.delimiter;
      lines = [[...parsed.rows[0], "Perbaikan yang diperlukan"], ...refused.map((r) => [...(parsed.rows[r.row - 1] || []), what(r)])];
    } else {
      lines = [["Baris", "Perbaikan yang diperlukan"], ...refused.map((r) => [String(r.row), what(r)])];
    }
    const csv = "\uFEFF" + lines.map((cells) => cells.map((c) => csvCell(c, delimiter)).join(delimiter)).join("\r\n") + "\r\n";
    return URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  }

  function table(report, types) {
    return `<table class="list rows"><thead><tr><th>Baris</th><th>Hasil</th><th>Keterangan</th></tr></thead><tbody>
      ${report.report.map((r) => `<tr class="${esc(r.status)}" data-row="${r.row}"><td>${r.row}</td>
      <td>${r.status === "accepted" ? "Diterima" : "Ditolak"}</td><td>${r.status === "refused"
        ? r.errors.map((e) => `${e.column ? `<strong>${esc(e.column)}</strong>: ` : ""}${esc(e.msg)} <code>${esc(e.code)}</code>`).join("<br>")
        : (r.submissions || []).map((s) => `${esc((types[s.type] || {}).title || s.type)}: ${esc(OUTCOME[s.status] || s.status)}${(s.reasons || [])
          .map((x) => ` — ${esc(x.pesan || x.rule)}${x.tindakan ? ` ${esc(x.tindakan)}` : ""}`).join("")}`).join("<br>")}</td></tr>`)
      .join("")}</tbody></table>`;
  }

  RuangKerja.page({
    id: "unggah",
    title: "Unggah register",
    roles: ["regency", "province"],
    async render(body) {
      body.innerHTML = `<p>Register kerja sama sebagai CSV (UTF-8, pemisah <code>,</code> atau <code>;</code>) atau XLSX,
        dengan judul kolom <a href="api/intake/v1/imports/template.xlsx">templat register</a>. Mengunggah ulang berkas yang sama
        tidak mengubah apa pun; baris yang diubah memperbarui kerja samanya.</p>
        <form id="unggah"><input type="file" name="file" accept=".csv,.xlsx" required> <button class="primary">Unggah</button></form>
        <div id="laporan" role="status"></div>`;
      body.querySelector("#unggah").addEventListener("submit", async (event) => {
        event.preventDefault();
        const file = event.target.file.files[0];
        if (!file) return;
        const out = body.querySelector("#laporan");
        out.innerHTML = "<p>Mengunggah dan menunggu keputusan…</p>";
        const form = new FormData();
        form.append("file", file);
        const answer = await RuangKerja.api("intake", "v1/imports?wait=20", { method: "POST", form });
        if (!answer.ok) {
          out.innerHTML = `<p class="error">${esc(RuangKerja.problemText(answer.data))}</p>`;
          return;
        }
        const report = answer.data;
        const text = file.name.toLowerCase().endsWith(".csv") ? await file.text() : null;
        out.innerHTML = `<p class="summary">${report.rows} baris: ${report.accepted} diterima, ${report.refused} ditolak.</p>
          ${report.refused ? `<p><a class="button" download="baris-perlu-diperbaiki.csv" href="${rowsToFix(report, file, text)}">
          Unduh baris yang perlu diperbaiki</a></p>` : ""}${table(report, (await RuangKerja.forms()).types)}`;
      });
    },
  });
})();
