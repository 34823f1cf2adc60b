// The workspace's service worker: the shell (pages, scripts, the forms' schema, who is signed in)
// is kept for when the network is gone, so a region with a poor connection can still open the
// workspace and prepare submissions (they wait in the outbox, inti.js). Network first: a new
// version is taken as soon as it is reachable. The platform's data (api/...) is never cached.
"use strict";
const CACHE = "ruang-kerja-2";
const SHELL = ["./", "index.html", "ruang-kerja.css", "inti.js", "formulir.js", "mulai.js", "api/formulir",
  "halaman/kerja-sama.js", "halaman/ajukan.js", "halaman/pengajuan.js", "halaman/menunggu.js", "halaman/unggah.js",
  "halaman/pemetaan.js", "halaman/akun.js", "halaman/verifikasi.js", "halaman/kotak-masuk.js"];
const KEPT = new Set([...SHELL.map((p) => new URL(p, self.registration.scope).href),
  new URL("api/saya", self.registration.scope).href]);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  url.hash = "";
  if (event.request.method === "POST" && url.pathname.endsWith("/keluar")) {
    // Signed out: who was signed in is forgotten here too.
    event.waitUntil(caches.open(CACHE).then((cache) => cache.delete(new URL("api/saya", self.registration.scope).href)));
    return;
  }
  if (event.request.method !== "GET" || !KEPT.has(url.href.split("?")[0])) return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    } else if (response.status === 401) {
      caches.open(CACHE).then((cache) => cache.delete(event.request));
    }
    return response;
  }).catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error())));
});
