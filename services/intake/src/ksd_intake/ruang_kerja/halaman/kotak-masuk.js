// The region's inbox: reporting's reminders (an agreement about to end, a report due or overdue, a
// KSB without PKS, a KSDD awaiting this region's report, a record the province returned), the same
// words as the e-mail; the region marks each read.
"use strict";
(() => {
  const { esc, momentText, load } = RuangKerja;

  RuangKerja.page({
    id: "kotak-masuk",
    title: "Kotak masuk",
    async render(body, at) {
      const unread = at.query.get("belum") === "1";
      const inbox = await load("reporting", `v1/inbox?limit=200${unread ? "&unread=true" : ""}`);
      const own = RuangKerja.me.region;
      body.innerHTML = `<p><strong id="belum-dibaca">${inbox.unread}</strong> pengingat belum dibaca ·
        ${unread ? '<a href="#/kotak-masuk">Tampilkan semua</a>' : '<a href="#/kotak-masuk?belum=1">Hanya yang belum dibaca</a>'}</p>
        ${inbox.items.length ? `<ul class="inbox">${inbox.items.map((r) => `<li data-id="${r.id}" data-agreement="${esc(r.agreement_id)}"
        class="${r.read_at ? "read" : "unread"}"><h2>${esc(r.subject)}</h2><p>${esc(r.body).replace(/\n/g, "<br>")}</p>
        <small>${esc(r.kind_name)} · ${momentText(r.created_at)}${r.read_at ? ` · dibaca ${momentText(r.read_at)}` : ""}</small>
        ${!r.read_at && r.region === own ? ' <button class="mark">Tandai sudah dibaca</button>' : ""}
</li>`).join("")}</ul>` : "<p>Tidak ada pengingat.</p>"}`;
      body.querySelectorAll("button.mark").forEach((button) => button.addEventListener("click", async () => {
        const id = button.closest("li").dataset.id;
        const answer = await RuangKerja.api("reporting", `v1/inbox/${id}/read`, { method: "POST" });
        if (answer.status === 204) RuangKerja.route();
        else button.replaceWith(RuangKerja.problemText(answer.data));
      }));
    },
  });
})();
