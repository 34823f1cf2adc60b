// The dashboard reads the same API as everyone else (GET /v1/summary) with the analyst's token.
const number = new Intl.NumberFormat("id-ID");
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("ksd-token") || "";

function fill(id, counts) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  document.getElementById(id).innerHTML = rows
    .map(([k, n]) => `<tr><td>${k}</td><td class="n">${number.format(n)}</td></tr>`).join("");
}

async function load() {
  const token = tokenInput.value.trim();
  if (!token) return;
  const response = await fetch("v1/summary", { headers: { Authorization: `Bearer ${token}` } });
  const body = await response.json();
  if (!response.ok) { document.getElementById("error").textContent = body.detail || body.title; return; }
  localStorage.setItem("ksd-token", token);
  document.getElementById("error").textContent = body.region ? `Wilayah ${body.region}` : "Nasional";
  document.getElementById("cards").innerHTML =
    `<div class="card">Jumlah kerja sama<b id="total">${number.format(body.total)}</b></div>`;
  fill("by_kind", body.by_kind); fill("by_status", body.by_status); fill("by_urusan", body.by_urusan);
}

document.getElementById("login").addEventListener("submit", (event) => { event.preventDefault(); load(); });
load();
