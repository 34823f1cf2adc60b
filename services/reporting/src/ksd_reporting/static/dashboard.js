// The directorate's console reads the same API as everyone else, with the analyst's bearer token (held by the
// page only, never in the browser's storage: a reload asks for it again):
// the nation or a region (#/, #/wilayah/CODE), the agreements behind any number (#/daftar?filters),
// one agreement's compiled record (#/kerjasama/ID) and mapping (#/pemetaan, #/pemetaan/CODE).
// Every number is a link to its list, scoped and dated as the page it stands on.
"use strict";
const number = new Intl.NumberFormat("id-ID");
const decimal = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 1 });
const day = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const monthName = new Intl.DateTimeFormat("id-ID", { month: "short", year: "numeric", timeZone: "UTC" });
const moment = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "short", year: "numeric", hour: "2-digit",
  minute: "2-digit", timeZone: "Asia/Jakarta" });
const $ = (id) => document.getElementById(id);

// What each `indicator` of GET /v1/agreements lists, as the page titles it; the verification states
// (`unverified`, `verified`, `returned`) are titled by the summary's own names, as in their table.
const INDICATOR = {
  offered: "Sudah ditawarkan", accepted: "Penawaran diterima", ksb: "KSB ditandatangani", pks: "PKS ditandatangani",
  running: "Berjalan (PKS berlaku)", ksb_followed: "KSB yang ditindaklanjuti PKS", dormant: "KSB tanpa PKS (mengendap)",
  expiring_30: "Berakhir dalam 30 hari", expiring_60: "Berakhir dalam 60 hari", expiring_90: "Berakhir dalam 90 hari",
  expired_unattended: "Lewat masa tanpa perpanjangan atau evaluasi akhir", overdue_reports: "Laporan terlambat",
  one_sided: "KSDD dilaporkan satu pihak", disagreeing: "KSDD tidak sesuai antarpihak",
  disputed: "Dalam sengketa", mandatory_not_carried_out: "KSDD wajib belum terlaksana",
  expiring_0: "Berakhir hari ini", expiring_7: "Berakhir dalam 7 hari", reports_due: "Laporan jatuh tempo",
};
const FUNNEL = [["offered", "Ditawarkan"], ["accepted", "Diterima"], ["ksb", "KSB"], ["pks", "PKS"], ["running", "Berjalan"]];
const KINDS = ["KSDD", "KSDPK", "KSDPL", "KSDLL", "Sinergi"];
const TIER = { "confirmed neighbour": "Tetangga (batas dikonfirmasi kedua pihak)", "same province": "Satu provinsi",
  elsewhere: "Provinsi lain" };
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
const LIST_PARAMS = ["region", "as_of", "dormant_months", "indicator", "kind", "status", "urusan", "party", "province",
  "month", "country", "partner", "funding", "flag", "q"];

let names = { regions: {}, urusan: {} };
let rendering = 0;  // the render in force: an older one that finishes late writes nothing

// --- formats -------------------------------------------------------------------------------------

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
const named = (table, code) => (names[table] && names[table][code]) || code;
const regionName = (code) => named("regions", code);
const urusanName = (code) => `${code} ${names.urusan[code] || ""}`.trim();
const dateText = (iso) => (iso ? day.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)) : "–");
const monthText = (ym) => (/^[0-9]{4}-[0-9]{2}$/.test(ym) ? monthName.format(new Date(`${ym}-01T00:00:00Z`)) : ym);
const exactRupiah = (n) => `Rp ${number.format(n)}`;

function shortRupiah(n) {
  // "Rp 3,64 triliun": the size a reader takes in at a glance; the exact value is on hover.
  for (const [size, word] of [[1e12, "triliun"], [1e9, "miliar"], [1e6, "juta"]]) {
    if (Math.abs(n) >= size) return `Rp ${decimal.format(n / size)} ${word}`;
  }
  return exactRupiah(n);
}
const rupiahHtml = (n) => `<span title="${esc(exactRupiah(n))}">${esc(shortRupiah(n))}</span>`;

// --- the API -------------------------------------------------------------------------------------

const token = () => $("token").value.trim();

async function api(path, params = {}, base = "") {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const response = await fetch(`${base}${base ? "/" : ""}v1/${path}${query.toString() ? "?" + query : ""}`,
    { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const field = (problem.errors || []).map((e) => e.msg).join("; ");
    throw new Error(field || problem.detail || problem.title || `HTTP ${response.status}`);
  }
  return response;
}

function route() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const [, what, code] = (path || "/").split("/");
  return { what: what || "", code: code || null, params: new URLSearchParams(query || "") };
}

// The day and dormancy the page is measured at: both go with every link to a list.
const dating = () => ({ as_of: $("as-of").value, dormant_months: $("dormant-months").value || "12" });

function listHref(scope, filter) {
  const params = new URLSearchParams(Object.entries({ region: scope, ...dating(), ...filter })
    .filter(([, v]) => v !== null && v !== undefined && v !== ""));
  return `#/daftar?${params}`;
}
const countLink = (scope, filter, n, attrs = "") =>
  `<a href="${esc(listHref(scope, filter))}"${attrs}>${esc(number.format(n))}</a>`;

// --- the overview --------------------------------------------------------------------------------

function card(scope, label, value, id, filter, note = "") {
  const shown = value === null || value === undefined ? "–" : number.format(value);
  return `<a class="card" href="${esc(listHref(scope, filter))}" title="${esc(note)}">${esc(label)}` +
    `<b id="${id}" data-value="${esc(value)}">${esc(shown)}</b>${note ? `<small>${esc(note)}</small>` : ""}</a>`;
}

function cards(s, scope) {
  const k = s.ksb_pks, r = s.regions, on = dateText(s.as_of);
  const mapping = `#/pemetaan${scope ? "/" + scope : ""}`;
  const rate = (label, id, value, have) =>
    `<a class="card" href="${mapping}">${esc(label)}<b id="${id}">${esc(percent.format(value || 0))}</b>` +
    `<small>${esc(number.format(have))} dari ${esc(number.format(r.governments))} pemerintah daerah</small></a>`;
  $("cards").innerHTML = [
    card(scope, "Jumlah kerja sama", s.total, "total", {}, `tercatat sampai ${on}`),
    card(scope, "Berjalan", s.funnel.running, "running", { indicator: "running" },
      `PKS sudah berlaku dan belum berakhir pada ${on}`),
    `<a class="card value" href="${esc(listHref(scope, {}))}">Nilai kerja sama<b id="value" data-value="${esc(s.value_idr)}"` +
      ` title="${esc(exactRupiah(s.value_idr))}">${esc(shortRupiah(s.value_idr))}</b><small>jumlah pendanaan tercatat</small></a>`,
    `<a class="card" href="${esc(listHref(scope, { indicator: "ksb_followed" }))}">Tindak lanjut KSB→PKS` +
      `<b id="followup" data-value="${esc(k.followed)}">${k.rate === null ? "–" : esc(percent.format(k.rate))}</b>` +
      `<small>${esc(number.format(k.followed))} KSB sudah ber-PKS</small></a>`,
    card(scope, "Median hari KSB→PKS", k.median_days, "median-days", { indicator: "ksb_followed" }, "dari KSB yang sudah ber-PKS"),
    card(scope, `KSB tanpa PKS > ${k.dormant_months} bulan`, k.dormant, "dormant", { indicator: "dormant" }),
    card(scope, "Berakhir ≤ 30 hari", s.expiring["30"], "expiring-30", { indicator: "expiring_30" }),
    card(scope, "Berakhir ≤ 60 hari", s.expiring["60"], "expiring-60", { indicator: "expiring_60" }),
    card(scope, "Berakhir ≤ 90 hari", s.expiring["90"], "expiring-90", { indicator: "expiring_90" }),
    card(scope, "Lewat masa tanpa perpanjangan/evaluasi", s.expired_without_extension_or_evaluation, "expired",
      { indicator: "expired_unattended" }),
    card(scope, "Laporan terlambat", s.overdue_reports.agreements, "overdue", { indicator: "overdue_reports" },
      `${number.format(s.overdue_reports.periods)} semester belum dilaporkan`),
    card(scope, "KSDD dilaporkan satu pihak", s.ksdd_reports.one_sided, "one-sided", { indicator: "one_sided" }),
    card(scope, "KSDD tidak sesuai antarpihak", s.ksdd_reports.disagreeing, "disagreeing", { indicator: "disagreeing" }),
    card(scope, "KSDD wajib belum terlaksana", s.mandatory_not_carried_out, "mandatory", { indicator: "mandatory_not_carried_out" },
      `belum ber-PKS: ditolak, tidak layak, atau lewat ${k.dormant_months} bulan sejak inisiasi`),
    card(scope, "Dalam sengketa", s.disputes_open?.agreements, "disputed", { indicator: "disputed" },
      s.disputes_open ? `${number.format(s.disputes_open.disputes)} sengketa belum selesai` : ""),
    rate("Daerah ber-SK TKKSD", "tkksd-rate", r.tkksd_rate, r.governments - r.without_tkksd.length),
    rate("Daerah dengan pemetaan urusan", "mapping-rate", r.mapping_rate, r.governments - r.without_mapping.length),
    `<a class="card" href="${mapping}">Daerah tanpa kerja sama<b id="no-cooperation">${esc(number.format(r.without_cooperation.length))}</b>` +
      `<small>dari ${esc(number.format(r.governments))} pemerintah daerah</small></a>`,
  ].join("");
}

function fill(id, counts, scope, filterOf, label = (k) => k, format = null) {
  const rows = Object.entries(counts || {}).filter(([k]) => k !== "None").sort((a, b) => b[1] - a[1]);
  $(id).innerHTML = rows.length
    ? rows.map(([k, n]) => `<tr><td>${esc(label(k))}</td><td class="n" data-key="${esc(k)}">` +
      `<a href="${esc(listHref(scope, filterOf(k)))}">${format ? format(n) : esc(number.format(n))}</a></td></tr>`).join("")
    : `<tr><td class="muted">Tidak ada data</td></tr>`;
}

function niceStep(max, ticks = 4) {
  // A round step (1, 2 or 5 × 10^n) that gives about `ticks` gridlines up to `max`.
  // Counts are whole: never a step below one (no "0,5 kerja sama" on an axis).
  const raw = Math.max(1, max / ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

function funnelChart(funnel, scope) {
  const width = 560, left = 90, right = 20, row = 30, top = 8;
  const top_value = Math.max(1, ...FUNNEL.map(([k]) => funnel[k] || 0));
  const step = niceStep(top_value), axisMax = Math.ceil(top_value / step) * step;
  const x = (n) => left + (n / axisMax) * (width - left - right);
  const height = top + FUNNEL.length * row + 34;
  const grid = [];
  for (let v = 0; v <= axisMax; v += step) {
    grid.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top}" y2="${top + FUNNEL.length * row}" class="grid"/>` +
      `<text x="${x(v)}" y="${top + FUNNEL.length * row + 14}" text-anchor="middle">${esc(number.format(v))}</text>`);
  }
  const bars = FUNNEL.map(([k, label], i) => {
    const n = funnel[k] || 0, y = top + i * row;
    return `<a href="${esc(listHref(scope, { indicator: k }))}" data-indicator="${k}"><title>${esc(label)}: ${esc(number.format(n))}</title>` +
      `<text x="${left - 6}" y="${y + 19}" text-anchor="end">${esc(label)}</text>` +
      `<rect x="${left}" y="${y + 5}" width="${Math.max(0, x(n) - left)}" height="20" class="bar"/>` +
      `<text x="${x(n) + 4}" y="${y + 19}" class="value">${esc(number.format(n))}</text></a>`;
  }).join("");
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Corong tahapan">${grid.join("")}${bars}` +
    `<text x="${(left + width - right) / 2}" y="${height - 4}" text-anchor="middle" class="axis-title">` +
    `Jumlah kerja sama yang pernah mencapai tahap itu</text></svg>`;
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

function monthChart(byMonth, scope) {
  const present = Object.keys(byMonth).filter((m) => /^[0-9]{4}-[0-9]{2}$/.test(m)).sort();
  if (!present.length) return `<p class="muted">Tidak ada data</p>`;
  const months = monthRange(present[0], present[present.length - 1]);
  const width = 560, height = 210, left = 44, right = 8, top = 22, bottom = 40;
  const top_value = Math.max(1, ...months.map((m) => byMonth[m] || 0));
  const step = niceStep(top_value), axisMax = Math.ceil(top_value / step) * step;
  const plotH = height - top - bottom, slot = (width - left - right) / months.length;
  const y = (n) => top + plotH - (n / axisMax) * plotH;
  const grid = [];
  for (let v = 0; v <= axisMax; v += step) {
    grid.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" class="grid"/>` +
      `<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${esc(number.format(v))}</text>`);
  }
  // A label per year (at its first month shown), or per quarter when the range is short.
  const every = months.length <= 18 ? 3 : 12;
  const labels = months.map((m, i) => (Number(m.slice(5)) % every === 1 || i === 0) && (i === 0 || months.length <= 18 || m.endsWith("-01"))
    ? `<line x1="${left + i * slot}" x2="${left + i * slot}" y1="${top + plotH}" y2="${top + plotH + 4}" class="axis"/>` +
      `<text x="${left + i * slot}" y="${top + plotH + 15}">${esc(every === 12 ? m.slice(0, 4) : monthText(m))}</text>` : "").join("");
  const bars = months.map((m, i) => {
    const n = byMonth[m] || 0;
    if (!n) return "";
    return `<a href="${esc(listHref(scope, { month: m }))}" data-month="${m}"><rect x="${(left + i * slot + 0.5).toFixed(1)}"` +
      ` y="${y(n).toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${Math.max(1, top + plotH - y(n)).toFixed(1)}"` +
      ` class="bar"><title>${esc(monthText(m))}: ${esc(number.format(n))} kerja sama</title></rect></a>`;
  }).join("");
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Kerja sama menurut bulan inisiasi">` +
    `<g class="legend"><rect x="${left}" y="4" width="10" height="10" class="bar"/><text x="${left + 14}" y="13">` +
    `Kerja sama yang diinisiasi pada bulan itu (klik batang untuk daftarnya)</text></g>${grid.join("")}` +
    `<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" class="axis"/>${bars}${labels}` +
    `<text x="${(left + width) / 2}" y="${height - 4}" text-anchor="middle" class="axis-title">Bulan inisiasi</text>` +
    `<text transform="rotate(-90)" x="${-(top + plotH / 2)}" y="11" text-anchor="middle" class="axis-title">Jumlah</text></svg>`;
}

function tiles(id, counts, page, unit) {
  // The 38 provinces shaded by `counts`; a tile opens the province's `page` (#/wilayah or #/pemetaan).
  const max = Math.max(1, ...Object.values(counts));
  $(id).innerHTML = TILES.map(([code, short, col, row]) => {
    const n = counts[code] || 0;
    const shade = Math.round(235 - (n / max) * 150);
    return `<a class="tile" href="${page}${code}" data-code="${code}" style="grid-column:${col};grid-row:${row};` +
      `background:rgb(${shade},${shade + 10},255)" title="${esc(regionName(code))}: ${esc(number.format(n))} ${esc(unit)}">` +
      `${esc(short)}<b>${esc(number.format(n))}</b></a>`;
  }).join("");
}

function regionTable(s, scope) {
  const codes = Object.keys(names.regions).filter((c) => c !== scope && c.startsWith(scope + ".")).sort();
  const yes = (list, c) => (list.includes(c) ? `<span class="no">belum</span>` : "ada");
  $("region-table").innerHTML = `<thead><tr><th>Kode</th><th>Kabupaten/Kota</th><th class="n">Kerja sama</th>` +
    `<th>SK TKKSD</th><th>Pemetaan urusan</th></tr></thead><tbody>` +
    codes.map((c) => `<tr data-code="${esc(c)}"><td>${esc(c)}</td><td><a href="#/wilayah/${esc(c)}">${esc(regionName(c))}</a></td>` +
      `<td class="n">${countLink(c, {}, s.by_region[c] || 0)}</td><td>${yes(s.regions.without_tkksd, c)}</td>` +
      `<td>${yes(s.regions.without_mapping, c)}</td></tr>`).join("") + "</tbody>";
}

function crumbs(scope, extra, base = "#/wilayah/") {
  const parts = [`<a href="${base === "#/wilayah/" ? "#/" : "#/pemetaan"}">Nasional</a>`];
  if (scope) parts.push(`<a href="${base}${esc(scope.slice(0, 2))}">${esc(regionName(scope.slice(0, 2)))}</a>`);
  if (scope && scope.length > 2) parts.push(`<a href="${base}${esc(scope)}">${esc(regionName(scope))}</a>`);
  if (extra) parts.push(`<span>${esc(extra)}</span>`);
  $("crumbs").innerHTML = parts.join(" › ");
  // the page is titled by the scope it shows: a province's or a regency's own dashboard is not "national"
  const title = `Kerja Sama Daerah — ${scope ? `Dasbor ${regionName(scope)}` : "Dasbor Nasional"}`;
  $("heading").textContent = document.title = title;
}

function selectOptions() {
  const options = (id, entries) => {
    if ($(id).options.length === 1) {
      $(id).insertAdjacentHTML("beforeend", entries.map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`).join(""));
    }
  };
  options("f-kind", KINDS.map((k) => [k, named("kinds", k)]));
  options("f-status", Object.entries(names.statuses || {}));
  options("f-urusan", Object.keys(names.urusan).map((k) => [k, urusanName(k)]));
}

async function summaryOf(scope) {
  const summary = await (await api("summary", { region: scope, ...dating() })).json();
  names = { ...names, ...summary.names, regions: { ...names.regions, ...summary.names.regions } };
  if (!$("as-of").value) $("as-of").value = summary.as_of;
  return summary;
}

async function overview(code, live) {
  const s = await summaryOf(code);
  if (!live()) return;
  const scope = s.region;
  selectOptions();
  crumbs(scope);
  $("message").textContent = `${scope ? `${regionName(scope)} (${scope})` : "Nasional"} · per ${dateText(s.as_of)}`;
  cards(s, scope);
  const national = !scope;
  $("tiles").hidden = !national;
  $("region-table").hidden = !(scope && scope.length === 2);
  $("map-section").hidden = !!(scope && scope.length > 2);
  $("map-title").textContent = national ? "Peta provinsi (jumlah kerja sama; klik untuk rincian provinsi)" : "Kabupaten/kota";
  if (national) tiles("tiles", s.by_province, "#/wilayah/", "kerja sama"); else if (scope.length === 2) regionTable(s, scope);
  $("chart-month").innerHTML = monthChart(s.by_month, scope);
  $("chart-funnel").innerHTML = funnelChart(s.funnel, scope);
  $("by-status-note").textContent = `Tiap kerja sama dihitung sekali, pada tahap yang dicapainya per ${dateText(s.as_of)};` +
    " \"Berjalan\" di sini sama dengan kartu Berjalan.";
  fill("by_kind", s.by_kind, scope, (k) => ({ kind: k }), (k) => named("kinds", k));
  fill("by_status", s.by_status, scope, (k) => ({ status: k }), (k) => named("statuses", k));
  fill("by_urusan", s.by_urusan, scope, (k) => ({ urusan: k }), urusanName);
  fill("value_by_urusan_idr", s.value_by_urusan_idr, scope, (k) => ({ urusan: k }), urusanName, rupiahHtml);
  fill("value_by_funding_source_idr", s.value_by_funding_source_idr, scope, (k) => ({ funding: k }),
    (k) => named("funding", k), rupiahHtml);
  fill("foreign_by_country", s.foreign_by_country, scope, (k) => ({ country: k }), (k) => named("countries", k));
  fill("foreign_by_partner", s.foreign_by_partner, scope, (k) => ({ partner: k }));
  fill("flags_by_rule", s.flags_by_rule, scope, (k) => ({ flag: k }), (k) => named("flags", k));
  // verified figures apart from unverified ones: each state is an indicator, so its list is one click away
  fill("verification", s.verification, scope, (k) => ({ indicator: k }), (k) => named("verification", k));
}

// --- the list behind a number --------------------------------------------------------------------

function listParams() {
  const params = route().params;
  return Object.fromEntries(LIST_PARAMS.filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
}

function indicatorTitle(indicator) {
  const state = names.verification && names.verification[indicator];
  return INDICATOR[indicator] || (state ? `${state} (verifikasi provinsi)` : indicator);
}

function describe(p) {
  const parts = [p.indicator ? indicatorTitle(p.indicator) : "Semua kerja sama"];
  if (p.kind) parts.push(named("kinds", p.kind));
  if (p.status) parts.push(`tahap ${named("statuses", p.status)}`);
  if (p.urusan) parts.push(`urusan ${urusanName(p.urusan)}`);
  if (p.party) parts.push(`dengan pihak ${regionName(p.party)}`);
  if (p.province) parts.push(`dengan pihak di ${regionName(p.province)}`);
  if (p.month) parts.push(`diinisiasi ${monthText(p.month)}`);
  if (p.country) parts.push(`mitra dari ${named("countries", p.country)}`);
  if (p.partner) parts.push(`mitra ${p.partner}`);
  if (p.funding) parts.push(`dana ${named("funding", p.funding)}`);
  if (p.flag) parts.push(`catatan: ${named("flags", p.flag)}`);
  if (p.q) parts.push(`judul memuat "${p.q}"`);
  parts.push(p.region ? regionName(p.region) : "Nasional");
  return parts.join(" · ");
}

async function list(live) {
  const p = listParams();
  if (p.as_of) $("as-of").value = p.as_of;
  if (p.dormant_months) $("dormant-months").value = p.dormant_months;
  if (!names.statuses || (p.region && !names.regions[p.region])) await summaryOf(p.region || null);
  if (!live()) return;
  selectOptions();
  $("f-kind").value = p.kind || "";
  $("f-status").value = p.status || "";
  $("f-urusan").value = p.urusan || "";
  $("f-q").value = p.q || "";
  crumbs(p.region || null, "Daftar kerja sama");
  $("list-title").textContent = describe(p);
  $("message").textContent = `Tahap dibaca per ${dateText(p.as_of)}; hanya kerja sama yang sudah tercatat pada tanggal itu.`;
  $("agreements").querySelector("tbody").innerHTML = "";
  await listPage(p, null, live);
}

async function listPage(p, cursor, live) {
  const page = await (await api("agreements", { ...p, cursor, limit: 50 })).json();
  if (!live()) return;
  const body = $("agreements").querySelector("tbody");
  if (!cursor) body.innerHTML = "";
  body.insertAdjacentHTML("beforeend", page.items.map((a) =>
    `<tr data-id="${esc(a.agreement_id)}"><td><a href="#/kerjasama/${esc(a.agreement_id)}">${esc(a.registry_number || "–")}</a></td>` +
    `<td><a href="#/kerjasama/${esc(a.agreement_id)}">${esc(a.title)}</a></td><td title="${esc(named("kinds", a.kind))}">${esc(a.kind)}</td>` +
    `<td>${esc(named("statuses", a.status))}</td><td>${esc(a.regions.map(regionName).join(", "))}</td>` +
    `<td class="date">${esc(dateText(a.initiated_on))}</td><td class="n">${rupiahHtml(a.value_idr)}</td></tr>`).join(""));
  const total = page.total ?? null;
  $("list-total").dataset.value = total === null ? "" : String(total);
  $("list-total").textContent = total === null ? "" : `${number.format(total)} kerja sama`;
  $("list-order").textContent = `terbaru menurut tanggal inisiasi lebih dulu · ditampilkan ${number.format(body.rows.length)}`;
  $("more").hidden = !page.next_cursor;
  $("more").onclick = () => listPage(p, page.next_cursor, live).catch(show);
}

// --- one agreement -------------------------------------------------------------------------------

function party(p) {
  if (p.type === "region") return `${regionName(p.code)} (${p.code})`;
  const category = p.category ? `, ${named("partner_categories", p.category)}` : "";
  if (p.type === "foreign") return `${p.name} (${named("countries", p.country)}${category})`;
  if (p.type === "central") return `${p.name} (pemerintah pusat)`;
  return `${p.name} (pihak ketiga${category})`;
}

async function detail(id, live) {
  if (!names.statuses) await summaryOf(null).catch(() => null);  // names only; a region token reads its own
  const record = await (await api(`agreements/${id}`)).json();
  if (!live()) return;
  const t = record.terms;
  crumbs(t.regions.length === 1 ? t.regions[0] : t.provinces.length === 1 ? t.provinces[0] : null, t.registry_number || id);
  $("detail-title").textContent = t.title;
  const flags = [...(t.flags || []).map((f) => f.rule), ...record.mapping_flags.map((f) => f.rule)];
  const terms = [
    ["Nomor registrasi", esc(t.registry_number)],
    ["Jenis", esc(named("kinds", t.kind) + (t.mandatory === true ? " (wajib)" : t.mandatory === false ? " (sukarela)" : ""))],
    // The stage changes as reporting keeps them, each from its day: the stage on any day is the last one begun.
    ["Tahapan", (t.stage_names || []).map((name, i) =>
      `${esc(named("statuses", name))} <span class="muted">${esc(dateText(t.stage_dates[i]))}</span>`).join(" → ")],
    ["Pihak", t.parties.map((p) => esc(party(p))).join("<br>")],
    ["Urusan", t.urusan.map((c) => esc(urusanName(c))).join("<br>")],
    ["Tanggal inisiasi", esc(dateText(t.initiated_on))], ["KSB", esc(dateText(t.ksb_on))], ["PKS", esc(dateText(t.pks_on))],
    ["Jangka waktu", t.start_on ? esc(`${dateText(t.start_on)} s.d. ${dateText(t.end_on)}`) : "–"],
    ["Nilai", rupiahHtml(t.value_idr)],
    ["Sumber dana", (t.funding || []).map((f) => `${esc(named("funding", f.source))}: ${rupiahHtml(f.amount_idr)}`).join("<br>") || "–"],
    ["Dilaporkan oleh", esc(t.reporters.map(regionName).join(", "))],
    ["Sengketa", (t.disputes || []).map(([raised, settled]) => esc(`dibuka ${dateText(raised)}, ` +
      (settled ? `selesai ${dateText(settled)}` : "belum selesai"))).join("<br>")],
    ["Catatan kepatuhan", flags.map((r) => `<span class="flag" title="${esc(r)}">${esc(named("flags", r))}</span>`).join(" ") || "–"],
  ];
  $("detail-terms").innerHTML = terms.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v || "–"}</dd>`).join("");
  $("timeline").querySelector("tbody").innerHTML = record.timeline.map((s) =>
    `<tr class="${s.superseded_by ? "superseded" : ""}"><td>${esc(s.sequence)}</td><td>${esc(named("steps", s.type))}</td>` +
    `<td class="date">${esc(dateText(s.legal_date))}</td><td class="date">${esc(moment.format(new Date(s.recorded_at)))} WIB</td>` +
    `<td>${esc(s.submitted_by ? regionName(s.submitted_by) + " (" + s.submitted_by + ")" : "sistem")}</td>` +
    `<td>${s.flags.map((f) => `<span class="flag" title="${esc(f.rule)}">${esc(named("flags", f.rule))}</span>`).join(" ")}` +
    `${s.superseded_by ? " dikoreksi" : ""}` +
    `${s.refused ? `<span class="refused">DITOLAK</span> ${s.reasons.map((r) =>
      `<span title="${esc(r.rule + ": " + r.detail)}">${esc(named("rules", r.rule))}</span>`).join("; ")}` : ""}</td></tr>`).join("");
  $("message").textContent = "";
}

// --- mapping -------------------------------------------------------------------------------------

const affairList = (codes) => (codes.length ? codes.map((c) => esc(urusanName(c))).join("<br>") : `<span class="no">belum dinyatakan</span>`);
let mappingApi = "";

async function mappingPage(code, live) {
  const [s, m] = await Promise.all([summaryOf(code), api("mapping", { region: code }).then((r) => r.json())]);
  if (!live()) return;
  names = { ...names, regions: { ...names.regions, ...m.names.regions } };
  mappingApi = m.mapping_api.url || `${location.protocol}//${location.hostname}:${m.mapping_api.port}`;
  const scope = m.region;
  crumbs(scope, "Pemetaan", "#/pemetaan/");
  $("mapping-title").textContent = `Pemetaan urusan dan potensi · ${scope ? regionName(scope) : "Nasional"}`;
  $("message").textContent = `${number.format(m.governments.length)} pemerintah daerah otonom dalam cakupan`;
  const single = scope && scope.length > 2;
  $("mapping-region").hidden = !single;
  $("mapping-scope").hidden = !!single;
  if (single) return regionMapping(m.governments[0], live);
  completeness(s, m, scope);
  affairs(m);
  affairMap(m);
  if (route().params.get("urusan")) $("affair-map").scrollIntoView();
}

function completeness(s, m, scope) {
  const rate = (n, of) => `${esc(number.format(n))} <span class="muted">(${esc(percent.format(of ? n / of : 0))})</span>`;
  if (!scope) {
    $("completeness-title").textContent = "Kelengkapan pemetaan per provinsi";
    const rows = Object.entries(s.regions.by_province).sort(([a], [b]) => a.localeCompare(b));
    $("completeness").innerHTML = `<thead><tr><th>Provinsi</th><th class="n">Pemda otonom</th><th class="n">Ber-SK TKKSD</th>` +
      `<th class="n">Urusan terpetakan</th><th class="n">Bekerja sama</th></tr></thead><tbody>` +
      rows.map(([p, e]) => `<tr data-code="${esc(p)}"><td><a href="#/pemetaan/${esc(p)}">${esc(regionName(p))}</a></td>` +
        `<td class="n">${esc(number.format(e.governments))}</td><td class="n">${rate(e.tkksd, e.governments)}</td>` +
        `<td class="n">${rate(e.mapping, e.governments)}</td><td class="n">${rate(e.cooperating, e.governments)}</td></tr>`).join("") +
      "</tbody>";
    return;
  }
  $("completeness-title").textContent = "Pernyataan tiap pemerintah daerah";
  $("completeness").innerHTML = `<thead><tr><th>Daerah</th><th>SK TKKSD</th><th>Urusan ditawarkan</th><th>Urusan dibutuhkan</th>` +
    `<th class="n">Potensi</th></tr></thead><tbody>` + m.governments.map((g) =>
    `<tr data-code="${esc(g.code)}"><td><a href="#/pemetaan/${esc(g.code)}">${esc(g.name)}</a></td>` +
    `<td>${g.tkksd_decree ? `${esc(g.tkksd_decree)}<br><span class="muted">${esc(dateText(g.tkksd_on))}</span>` : `<span class="no">belum</span>`}</td>` +
    `<td>${affairList(g.offers)}</td><td>${affairList(g.needs)}</td><td class="n">${esc(number.format(g.potentials))}</td></tr>`).join("") +
    "</tbody>";
}

function affairMap(m) {
  // Nationally, where one affair is offered and where it is needed, province by province.
  const chosen = route().params.get("urusan") || Object.entries(m.urusan)
    .map(([u, w]) => [u, Object.values(w.offers).length + Object.values(w.needs).length]).sort((a, b) => b[1] - a[1])[0][0];
  $("affair-map").hidden = !!m.region;
  if (m.region) return;
  $("affair-title").textContent = `Peta urusan ${urusanName(chosen)}`;
  $("affair-urusan").innerHTML = Object.keys(m.urusan).map((u) =>
    `<option value="${esc(u)}"${u === chosen ? " selected" : ""}>${esc(urusanName(u))}</option>`).join("");
  const direction = $("affair-direction").value;
  tiles("affair-tiles", m.urusan[chosen][direction], "#/pemetaan/",
    direction === "offers" ? "pemerintah daerah menawarkan" : "pemerintah daerah membutuhkan");
  $("affair-tiles").dataset.urusan = chosen;
}

function affairs(m) {
  const top = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3)
    .map(([p, n]) => `${esc(regionName(p))} (${esc(number.format(n))})`).join(", ") || "–";
  const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);
  const rows = Object.entries(m.urusan).sort((a, b) => total(b[1].offers) + total(b[1].needs) - total(a[1].offers) - total(a[1].needs));
  $("affairs").innerHTML = `<thead><tr><th>Urusan</th><th class="n">Ditawarkan</th><th>Terbanyak di</th>` +
    `<th class="n">Dibutuhkan</th><th>Terbanyak di</th></tr></thead><tbody>` + rows.map(([u, w]) =>
    `<tr data-urusan="${esc(u)}"><td>${m.region ? esc(urusanName(u)) : `<a href="#/pemetaan?urusan=${esc(u)}">${esc(urusanName(u))}</a>`}</td><td class="n">${esc(number.format(total(w.offers)))}</td>` +
    `<td>${top(w.offers)}</td><td class="n">${esc(number.format(total(w.needs)))}</td><td>${top(w.needs)}</td></tr>`).join("") + "</tbody>";
}

function regionMapping(g, live) {
  $("mapping-facts").innerHTML = [
    ["SK TKKSD", g.tkksd_decree ? `${esc(g.tkksd_decree)} (${esc(dateText(g.tkksd_on))})` : `<span class="no">belum tercatat</span>`],
    ["Urusan ditawarkan", affairList(g.offers)], ["Urusan dibutuhkan", affairList(g.needs)],
    ["Urusan dinyatakan", esc(dateText(g.affairs_declared_on))],
    ["Potensi", g.potentials_declared_on ? `${esc(number.format(g.potentials))} (dinyatakan ${esc(dateText(g.potentials_declared_on))})` : "–"],
    ["Kerja sama", `<a href="${esc(listHref(g.code, {}))}">daftar kerja sama ${esc(g.name)}</a>`],
  ].map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("");
  $("partners-urusan").innerHTML = `<option value="">Semua yang dibutuhkan (${esc(g.needs.join(", ") || "belum dinyatakan")})</option>` +
    Object.keys(names.urusan).map((u) => `<option value="${esc(u)}">${esc(urusanName(u))}</option>`).join("");
  $("partners-form").dataset.code = g.code;
  return partners(g.code, "", live);
}

async function partners(code, wanted, live) {
  // Ranked by mapping itself (GET /v1/regions/{code}/partners): neighbours, then the province, then the rest.
  const found = await (await api(`regions/${code}/partners`, { urusan: wanted, limit: 20 }, mappingApi)).json();
  if (!live()) return;
  $("partners-note").textContent = found.urusan.length
    ? `${number.format(found.total)} daerah menawarkan ${found.urusan.map(urusanName).join(", ")}; 20 teratas:`
    : "Daerah ini belum menyatakan urusan yang dibutuhkan: pilih satu urusan.";
  $("partners").innerHTML = found.partners.length ? `<thead><tr><th>Daerah</th><th>Kedekatan</th><th>Urusan yang ditawarkan</th>` +
    `<th class="n">Potensi</th><th class="n">Kerja sama yang sudah ada</th></tr></thead><tbody>` + found.partners.map((p) =>
    `<tr data-code="${esc(p.code)}"><td><a href="#/pemetaan/${esc(p.code)}">${esc(p.name)}</a> <span class="muted">${esc(p.code)}</span></td>` +
    `<td>${esc(TIER[p.tier] || p.tier)}</td><td>${p.urusan.map((u) => esc(urusanName(u))).join("<br>")}</td>` +
    `<td class="n">${esc(number.format(p.potentials))}</td><td class="n">${esc(number.format(p.agreements_total))}</td></tr>`).join("") +
    "</tbody>" : "";
}

// --- the page ------------------------------------------------------------------------------------

async function download(extension) {
  const blob = await (await api(`exports/agreements.${extension}`, listParams())).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `kerja-sama-daerah.${extension}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 5000);
}

function show(error) { $("message").textContent = `Gagal: ${error.message}`; }

const VIEWS = { kerjasama: "detail", daftar: "list", pemetaan: "mapping" };

async function render() {
  if (!token()) { $("message").textContent = "Masukkan token akses."; return; }
  const mine = ++rendering;
  const live = () => mine === rendering;
  const { what, code } = route();
  const view = VIEWS[what] || "main";
  for (const id of ["main", "list", "detail", "mapping"]) $(id).hidden = id !== view;
  $("tab-mapping").classList.toggle("on", view === "mapping");
  $("tab-summary").classList.toggle("on", view === "main");
  try {
    if (view === "detail") await detail(code, live);
    else if (view === "list") await list(live);
    else if (view === "mapping") await mappingPage(code, live);
    else await overview(what === "wilayah" ? code : null, live);
    if (!live()) return;
    document.body.dataset.ready = location.hash || "#/";
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
  } catch (error) { if (live()) show(error); }
}

$("login").addEventListener("submit", (event) => { event.preventDefault(); render(); });
$("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const p = listParams();
  location.hash = listHref(p.region || null, { ...p, kind: $("f-kind").value, status: $("f-status").value,
    urusan: $("f-urusan").value, q: $("f-q").value.trim() });
});
$("dating").addEventListener("change", () => {
  if (route().what === "daftar") location.hash = listHref(listParams().region || null, { ...listParams(), ...dating() });
  else render();
});
$("dating").addEventListener("submit", (event) => event.preventDefault());
$("partners-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const mine = rendering;
  partners($("partners-form").dataset.code, $("partners-urusan").value, () => mine === rendering).catch(show);
});
$("affair-direction").addEventListener("change", render);
$("affair-urusan").addEventListener("change", () => { location.hash = `#/pemetaan?urusan=${$("affair-urusan").value}`; });
$("affair-form").addEventListener("submit", (event) => event.preventDefault());
$("export-csv").addEventListener("click", () => download("csv").catch(show));
$("export-xlsx").addEventListener("click", () => download("xlsx").catch(show));
window.addEventListener("hashchange", render);
render();
