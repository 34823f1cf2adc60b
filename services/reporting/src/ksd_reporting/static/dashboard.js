// The dashboard reads the same API as everyone else, with the analyst's bearer token: the nation,
// a province, a region (#/wilayah/CODE) and one agreement's compiled record (#/kerjasama/ID).
"use strict";
const number = new Intl.NumberFormat("id-ID");
const rupiah = new Intl.NumberFormat("id-ID", { style: "currency", currency: "IDR", maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 1 });
const $ = (id) => document.getElementById(id);

const STATUS = {
  initiated: "Inisiasi", reviewed: "Dikaji TKKSD", not_feasible: "Tidak layak", offered: "Penawaran",
  accepted: "Penawaran diterima", declined: "Penawaran ditolak", ksb_signed: "KSB ditandatangani",
  dprd_approved: "Persetujuan DPRD", central_approved: "Persetujuan pusat", pks_signed: "PKS ditandatangani",
  running: "Berjalan", ended: "Berakhir", expired: "Kedaluwarsa", withdrawn: "Ditarik (salah catat)",
};
const STEP = {
  proposed: "Inisiasi", party_reported: "Dilaporkan pihak lain", tkksd_reviewed: "Kajian TKKSD",
  offered: "Surat penawaran", offer_responded: "Jawaban penawaran", ksb_signed: "Penandatanganan KSB",
  dprd_approved: "Persetujuan DPRD", central_approved: "Persetujuan pusat", pks_signed: "Penandatanganan PKS",
  amended: "Perubahan (adendum)", extended: "Perpanjangan", terminated: "Berakhir", progress_reported: "Laporan/evaluasi",
  corrected: "Koreksi", started: "Mulai berlaku", expired: "Kedaluwarsa", report_overdue: "Laporan terlambat",
  withdrawn: "Penarikan catatan", submission_rejected: "Pengajuan ditolak",
};
const FUNNEL = [["offered", "Penawaran"], ["accepted", "Diterima"], ["ksb", "KSB"], ["pks", "PKS"], ["running", "Berjalan"]];
// The 38 provinces on a 16 × 7 grid, roughly where they lie in the archipelago: [code, short name, column, row].
const TILES = [
  ["11", "Aceh", 1, 1], ["12", "Sumut", 2, 2], ["21", "Kepri", 4, 2], ["14", "Riau", 3, 2], ["13", "Sumbar", 2, 3],
  ["15", "Jambi", 3, 3], ["19", "Babel", 4, 3], ["17", "Bengkulu", 2, 4], ["16", "Sumsel", 3, 4], ["18", "Lampung", 3, 5],
  ["36", "Banten", 4, 6], ["31", "DKI Jakarta", 5, 5], ["32", "Jabar", 5, 6], ["33", "Jateng", 6, 6], ["34", "DIY", 6, 7],
  ["35", "Jatim", 7, 6], ["51", "Bali", 8, 7], ["52", "NTB", 9, 7], ["53", "NTT", 10, 7],
  ["61", "Kalbar", 6, 3], ["65", "Kaltara", 8, 2], ["64", "Kaltim", 8, 3], ["62", "Kalteng", 7, 4], ["63", "Kalsel", 8, 4],
  ["75", "Gorontalo", 10, 2], ["71", "Sulut", 11, 2], ["72", "Sulteng", 10, 3], ["76", "Sulbar", 9, 4],
  ["73", "Sulsel", 10, 5], ["74", "Sultra", 11, 5], ["82", "Malut", 12, 3], ["81", "Maluku", 12, 5],
  ["96", "PB Daya", 13, 3], ["92", "Papua Barat", 14, 3], ["91", "Papua", 15, 3], ["94", "Papua Tengah", 14, 4],
  ["95", "Papua Pegunungan", 15, 4], ["93", "Papua Selatan", 15, 5],
];

let names = { regions: {}, urusan: {} };
let cursor = null;

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const regionName = (code) => (names.regions[code] ? `${names.regions[code]}` : code);
const token = () => $("token").value.trim();

async function api(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const response = await fetch(`v1/${path}${query.toString() ? "?" + query : ""}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || `HTTP ${response.status}`);
  }
  return response;
}

function route() {
  const [, what, code] = location.hash.split("/");
  return { what: what || "", code: code || null };
}

function filters(scope) {
  return { region: scope, kind: $("f-kind").value, status: $("f-status").value, urusan: $("f-urusan").value, q: $("f-q").value.trim() };
}

function card(label, value, id, title = "") {
  return `<div class="card" title="${esc(title)}">${esc(label)}<b id="${id}" data-value="${esc(value)}">${esc(value === null ? "–" : number.format(value))}</b></div>`;
}

function fill(id, counts, label = (k) => k, format = (n) => number.format(n)) {
  const rows = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  $(id).innerHTML = rows.length
    ? rows.map(([k, n]) => `<tr><td>${esc(label(k))}</td><td class="n" data-key="${esc(k)}">${esc(format(n))}</td></tr>`).join("")
    : `<tr><td class="muted">Tidak ada data</td></tr>`;
}

function barChart(counts, labels) {
  const entries = labels.map(([k, label]) => [label, counts[k] || 0]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const width = 560, row = 24;
  const bars = entries.map(([label, n], i) => {
    const w = Math.round((n / max) * (width - 180));
    return `<text x="0" y="${i * row + 15}">${esc(label)}</text><rect x="110" y="${i * row + 4}" width="${w}" height="16" fill="#2f7dc1"/>` +
      `<text x="${116 + w}" y="${i * row + 16}">${esc(number.format(n))}</text>`;
  }).join("");
  return `<svg viewBox="0 0 ${width} ${entries.length * row + 4}" role="img">${bars}</svg>`;
}

function monthRange(first, last) {
  // Every month from the first to the last, so that months with no initiation show as gaps.
  const months = [];
  let [year, month] = first.split("-").map(Number);
  for (let guard = 0; guard < 1200; guard += 1) {
    const name = `${year}-${String(month).padStart(2, "0")}`;
    months.push(name);
    if (name >= last) break;
    month += 1;
    if (month > 12) { month = 1; year += 1; }
  }
  return months;
}

function monthChart(byMonth) {
  const present = Object.keys(byMonth).filter((m) => /^[0-9]{4}-[0-9]{2}$/.test(m)).sort();
  if (!present.length) return `<p class="muted">Tidak ada data</p>`;
  const months = monthRange(present[0], present[present.length - 1]);
  const max = Math.max(1, ...months.map((m) => byMonth[m] || 0));
  const width = 560, height = 160, step = width / months.length;
  const bars = months.map((m, i) => {
    if (!byMonth[m]) return "";
    const h = Math.max(1, Math.round((byMonth[m] / max) * (height - 30)));  // a month with one still shows
    return `<rect x="${(i * step).toFixed(1)}" y="${height - 16 - h}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}" fill="#2f7dc1"><title>${esc(m)}: ${esc(number.format(byMonth[m]))}</title></rect>`;
  }).join("");
  const ticks = [months[0], months[months.length - 1]];
  return `<svg viewBox="0 0 ${width} ${height}" role="img">${bars}<text x="0" y="${height - 2}">${esc(ticks[0])}</text>` +
    `<text x="${width}" y="${height - 2}" text-anchor="end">${esc(ticks[1])}</text></svg>`;
}

function cards(s) {
  const k = s.ksb_pks, r = s.regions;
  $("cards").innerHTML = [
    card("Jumlah kerja sama", s.total, "total"),
    card("Berjalan", s.funnel.running, "running"),
    card("Nilai kerja sama (Rp)", s.value_idr, "value"),
    `<div class="card">Tindak lanjut KSB→PKS<b id="followup">${k.rate === null ? "–" : esc(percent.format(k.rate))}</b></div>`,
    card("Median hari KSB→PKS", k.median_days, "median-days"),
    card(`KSB tanpa PKS > ${k.dormant_months} bulan`, k.dormant, "dormant"),
    card("Berakhir ≤ 30 hari", s.expiring["30"], "expiring-30"),
    card("Berakhir ≤ 60 hari", s.expiring["60"], "expiring-60"),
    card("Berakhir ≤ 90 hari", s.expiring["90"], "expiring-90"),
    card("Lewat masa tanpa perpanjangan/evaluasi", s.expired_without_extension_or_evaluation, "expired"),
    card("Laporan terlambat", s.overdue_reports.agreements, "overdue"),
    card("KSDD dilaporkan satu pihak", s.ksdd_reports.one_sided, "one-sided"),
    card("KSDD tidak sesuai antarpihak", s.ksdd_reports.disagreeing, "disagreeing"),
    `<div class="card">Daerah ber-SK TKKSD<b id="tkksd-rate">${esc(percent.format(r.tkksd_rate || 0))}</b>${esc(number.format(r.governments - r.without_tkksd.length))} dari ${esc(number.format(r.governments))}</div>`,
    `<div class="card">Daerah dengan pemetaan urusan<b id="mapping-rate">${esc(percent.format(r.mapping_rate || 0))}</b>${esc(number.format(r.governments - r.without_mapping.length))} dari ${esc(number.format(r.governments))}</div>`,
    card("Daerah tanpa kerja sama", r.without_cooperation.length, "no-cooperation"),
  ].join("");
}

function tiles(s) {
  const max = Math.max(1, ...Object.values(s.by_province));
  $("tiles").innerHTML = TILES.map(([code, short, col, row]) => {
    const n = s.by_province[code] || 0;
    const shade = Math.round(235 - (n / max) * 150);
    return `<button class="tile" data-code="${code}" style="grid-column:${col};grid-row:${row};background:rgb(${shade},${shade + 10},255)"` +
      ` title="${esc(regionName(code))}">${esc(short)}<b>${esc(number.format(n))}</b></button>`;
  }).join("");
  $("tiles").querySelectorAll(".tile").forEach((t) => t.addEventListener("click", () => { location.hash = `#/wilayah/${t.dataset.code}`; }));
}

function regionTable(s, scope) {
  const table = $("region-table");
  const codes = Object.keys(names.regions).filter((c) => c !== scope && c.startsWith(scope + ".")).sort();
  const without = (list, c) => (list.includes(c) ? "belum" : "ada");
  table.innerHTML = `<thead><tr><th>Kode</th><th>Kabupaten/Kota</th><th class="n">Kerja sama</th><th>SK TKKSD</th><th>Pemetaan</th></tr></thead><tbody>` +
    codes.map((c) => `<tr class="link" data-code="${esc(c)}"><td>${esc(c)}</td><td>${esc(regionName(c))}</td>` +
      `<td class="n">${esc(number.format(s.by_region[c] || 0))}</td><td>${without(s.regions.without_tkksd, c)}</td><td>${without(s.regions.without_mapping, c)}</td></tr>`).join("") + "</tbody>";
  table.querySelectorAll("tr.link").forEach((tr) => tr.addEventListener("click", () => { location.hash = `#/wilayah/${tr.dataset.code}`; }));
}

function crumbs(scope, extra) {
  const parts = [`<a href="#/">Nasional</a>`];
  if (scope) parts.push(`<a href="#/wilayah/${esc(scope.slice(0, 2))}">${esc(regionName(scope.slice(0, 2)))}</a>`);
  if (scope && scope.length > 2) parts.push(`<a href="#/wilayah/${esc(scope)}">${esc(regionName(scope))}</a>`);
  if (extra) parts.push(`<span>${esc(extra)}</span>`);
  $("crumbs").innerHTML = parts.join(" › ");
}

function selectOptions(s) {
  if ($("f-status").options.length === 1) {
    $("f-status").insertAdjacentHTML("beforeend", Object.entries(STATUS).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join(""));
  }
  if ($("f-urusan").options.length === 1) {
    $("f-urusan").insertAdjacentHTML("beforeend", Object.entries(s.names.urusan).map(([k, v]) => `<option value="${k}">${esc(k)} ${esc(v)}</option>`).join(""));
  }
}

async function overview(code) {
  const summary = await (await api("summary", { region: code, as_of: $("as-of").value })).json();
  names = summary.names;
  const scope = summary.region;
  selectOptions(summary);
  crumbs(scope);
  $("message").textContent = scope ? `Wilayah ${scope} ${regionName(scope)} · per ${summary.as_of}` : `Nasional · per ${summary.as_of}`;
  cards(summary);
  const national = !scope;
  $("tiles").hidden = !national;
  $("region-table").hidden = !(scope && scope.length === 2);
  $("map-title").textContent = national ? "Peta provinsi (jumlah kerja sama)" : scope.length === 2 ? "Kabupaten/kota" : "Daerah";
  if (national) tiles(summary); else if (scope.length === 2) regionTable(summary, scope);
  $("chart-month").innerHTML = monthChart(summary.by_month);
  $("chart-funnel").innerHTML = barChart(summary.funnel, FUNNEL);
  fill("by_kind", summary.by_kind);
  fill("by_status", summary.by_status, (k) => STATUS[k] || k);
  fill("by_urusan", summary.by_urusan, (k) => `${k} ${names.urusan[k] || ""}`);
  fill("value_by_urusan_idr", summary.value_by_urusan_idr, (k) => `${k} ${names.urusan[k] || ""}`, (n) => rupiah.format(n));
  fill("value_by_funding_source_idr", summary.value_by_funding_source_idr, (k) => k.toUpperCase(), (n) => rupiah.format(n));
  fill("foreign_by_country", summary.foreign_by_country);
  fill("flags_by_rule", summary.flags_by_rule);
  cursor = null;
  $("agreements").querySelector("tbody").innerHTML = "";
  await agreements(scope);
}

async function agreements(scope) {
  const page = await (await api("agreements", { ...filters(scope), cursor, limit: 50 })).json();
  const body = $("agreements").querySelector("tbody");
  body.insertAdjacentHTML("beforeend", page.items.map((a) =>
    `<tr class="link" data-id="${esc(a.agreement_id)}"><td>${esc(a.registry_number)}</td><td>${esc(a.title)}</td><td>${esc(a.kind)}</td>` +
    `<td>${esc(STATUS[a.status] || a.status)}</td><td>${esc(a.regions.map(regionName).join(", "))}</td><td>${esc(a.initiated_on)}</td>` +
    `<td class="n">${esc(number.format(a.value_idr))}</td></tr>`).join(""));
  body.querySelectorAll("tr.link").forEach((tr) => { tr.onclick = () => { location.hash = `#/kerjasama/${tr.dataset.id}`; }; });
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
  $("more").onclick = () => agreements(scope).catch(show);
}

async function detail(id) {
  const record = await (await api(`agreements/${id}`)).json();
  const t = record.terms;
  crumbs(t.regions.length === 1 ? t.regions[0] : t.provinces.length === 1 ? t.provinces[0] : null, t.registry_number || id);
  $("detail-title").textContent = t.title;
  const terms = [
    ["Nomor registrasi", t.registry_number], ["Jenis", t.kind + (t.mandatory === true ? " (wajib)" : t.mandatory === false ? " (sukarela)" : "")],
    ["Status", STATUS[t.status] || t.status], ["Pihak", t.parties.map((p) => p.code ? `${p.code} ${regionName(p.code)}` : `${p.name}${p.country ? " (" + p.country + ")" : ""}`).join("; ")],
    ["Urusan", t.urusan.map((c) => `${c} ${names.urusan[c] || ""}`).join("; ")], ["Tanggal inisiasi", t.initiated_on], ["KSB", t.ksb_on], ["PKS", t.pks_on],
    ["Jangka waktu", t.start_on ? `${t.start_on} s.d. ${t.end_on}` : null], ["Nilai", rupiah.format(t.value_idr)],
    ["Dilaporkan oleh", t.reporters.map(regionName).join(", ")],
  ];
  $("detail-terms").innerHTML = terms.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v ?? "–")}</dd>`).join("");
  $("timeline").querySelector("tbody").innerHTML = record.timeline.map((s) =>
    `<tr class="${s.superseded_by ? "superseded" : ""}"><td>${esc(s.sequence)}</td><td>${esc(STEP[s.type] || s.type)}</td>` +
    `<td>${esc(s.legal_date || "–")}</td><td>${esc(new Date(s.recorded_at).toLocaleString("id-ID", { timeZone: "Asia/Jakarta" }))}</td>` +
    `<td>${esc(s.submitted_by ? regionName(s.submitted_by) + " (" + s.submitted_by + ")" : "sistem")}</td>` +
    `<td>${s.flags.map((f) => `<span class="flag">${esc(f.rule)}</span>`).join(" ")}${s.superseded_by ? " dikoreksi" : ""}` +
    `${s.refused ? `<span class="refused">DITOLAK</span> ${esc(s.reasons.map((r) => r.rule + ": " + r.detail).join("; "))}` : ""}</td></tr>`).join("");
  $("message").textContent = "";
}

async function download(extension) {
  const scope = route().what === "wilayah" ? route().code : null;
  const blob = await (await api(`exports/agreements.${extension}`, filters(scope))).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `kerja-sama-daerah.${extension}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 5000);
}

function show(error) { $("message").textContent = `Gagal: ${error.message}`; }

async function render() {
  if (!token()) { $("message").textContent = "Masukkan token akses."; return; }
  localStorage.setItem("ksd-token", token());
  const { what, code } = route();
  $("detail").hidden = what !== "kerjasama";
  $("main").hidden = what === "kerjasama";
  try {
    if (what === "kerjasama") await detail(code); else await overview(what === "wilayah" ? code : null);
    document.body.dataset.ready = location.hash || "#/";
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  } catch (error) { show(error); }
}

$("token").value = localStorage.getItem("ksd-token") || "";
$("login").addEventListener("submit", (event) => { event.preventDefault(); render(); });
$("filters").addEventListener("submit", (event) => { event.preventDefault(); render(); });
$("as-of").addEventListener("change", render);
$("export-csv").addEventListener("click", () => download("csv").catch(show));
$("export-xlsx").addEventListener("click", () => download("xlsx").catch(show));
window.addEventListener("hashchange", render);
render();
