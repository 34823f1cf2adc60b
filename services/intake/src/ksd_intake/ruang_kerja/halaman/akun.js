// A region administrator's accounts page: the operators of their own region (intake's
// /v1/accounts, which manages them in Keycloak), a new operator, and revoking one — disabled and
// signed out everywhere within seconds.
"use strict";
(() => {
  const { esc } = RuangKerja;
  RuangKerja.page({
    id: "akun",
    title: "Akun operator",
    roles: ["region_admin"],
    async render(body) {
      const operators = await RuangKerja.load("intake", "v1/accounts");
      body.innerHTML = `<p>Operator ${esc(RuangKerja.me.region_name)}: mereka masuk dengan akunnya sendiri, dan setiap
        pengajuan mencatat siapa yang mengirimnya.</p>
        <table class="list accounts"><thead><tr><th>Nama pengguna</th><th>Nama</th><th>Surel</th><th>Keadaan</th><th></th></tr></thead>
        <tbody>${operators.map((o) => `<tr data-username="${esc(o.username)}"><td>${esc(o.username)}</td>
        <td>${esc(`${o.first_name} ${o.last_name}`.trim())}</td><td>${esc(o.email || "")}</td>
        <td>${o.enabled ? "Aktif" : "Dicabut"}</td><td>${o.enabled ? `<button class="revoke" data-username="${esc(o.username)}">Cabut</button>` : ""}</td></tr>`)
        .join("") || '<tr><td colspan="5">Belum ada operator.</td></tr>'}</tbody></table>
        <h2>Operator baru</h2><form id="baru" class="submission"><div class="errors" role="alert" hidden></div>
        <div class="field" data-path="username"><label><span class="name">Nama pengguna</span><input name="username" required></label>
          <small>Huruf kecil, angka, titik, atau garis; 3–60 karakter.</small><p class="field-error" hidden></p></div>
        <div class="field" data-path="first_name"><label><span class="name">Nama depan</span><input name="first_name" required></label><p class="field-error" hidden></p></div>
        <div class="field" data-path="last_name"><label><span class="name">Nama belakang</span><input name="last_name"></label><p class="field-error" hidden></p></div>
        <div class="field" data-path="email"><label><span class="name">Surel</span><input name="email" type="email" required></label><p class="field-error" hidden></p></div>
        <div class="field" data-path="password"><label><span class="name">Kata sandi awal</span><input name="password" type="password" required minlength="12"></label>
          <small>Paling sedikit 12 karakter; harus diganti pada masuk pertama.</small><p class="field-error" hidden></p></div>
        <p><button class="primary">Buat akun</button></p></form><div id="hasil" role="status"></div>`;
      body.querySelector("#baru").addEventListener("submit", async (event) => {
        event.preventDefault();
        const form = event.target;
        const account = Object.fromEntries(["username", "first_name", "last_name", "email", "password"]
          .map((k) => [k, form[k].value.trim()]));
        const answer = await RuangKerja.api("intake", "v1/accounts", { method: "POST", body: account });
        if (answer.status === 201) {
          await RuangKerja.route();
          document.getElementById("hasil").innerHTML = `<p class="notice">Akun ${esc(answer.data.username)} dibuat.</p>`;
          return;
        }
        const errors = (answer.data.errors || []).map((e) => ({ path: e.loc.slice(1).join("."), code: e.code, msg: e.msg }));
        Formulir.show(form, errors.length ? errors : [{ path: "", code: answer.data.code || "", msg: answer.data.detail }]);
      });
      body.querySelectorAll("button.revoke").forEach((button) => button.addEventListener("click", async () => {
        if (!confirm(`Cabut akun ${button.dataset.username}? Ia keluar dari semua sesi dan tidak dapat masuk lagi.`)) return;
        const answer = await RuangKerja.api("intake", `v1/accounts/${encodeURIComponent(button.dataset.username)}`,
          { method: "DELETE" });
        if (answer.status !== 204) alert(RuangKerja.problemText(answer.data));
        await RuangKerja.route();
      }));
    },
  });
})();
