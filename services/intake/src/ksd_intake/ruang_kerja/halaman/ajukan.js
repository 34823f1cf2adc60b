// A form for every submission type, generated from intake's JSON Schema (formulir.js). Sent at
// once when online; prepared offline, it waits in the outbox with its Idempotency-Key.
// `#/ajukan/TYPE?lapor=ID` prefills a region's own report of an agreement a partner reported.
"use strict";
(() => {
  const { esc, load } = RuangKerja;

  // What the form starts with: the region itself as a party, today's dates left for the person.
  async function prefill(type, at) {
    const own = RuangKerja.me.region;
    if (type === "agreement.propose" && at.query.get("lapor")) {
      const record = await load("reporting", `v1/agreements/${encodeURIComponent(at.query.get("lapor"))}`);
      const terms = record.terms;
      return { agreement_id: record.agreement_id || at.query.get("lapor"), kind: terms.kind, title: terms.title,
        parties: terms.parties, urusan: terms.urusan, initiated_on: terms.initiated_on };
    }
    if (type === "agreement.propose") return { kind: "KSDD", parties: [{ type: "region", code: own }, { type: "region" }] };
    if (type.startsWith("region.")) return { region: own };
    const agreement = at.query.get("kerja_sama");
    return agreement ? { agreement_id: agreement } : {};
  }

  RuangKerja.page({
    id: "ajukan",
    title: "Ajukan",
    roles: ["regency", "province"],
    async render(body, at) {
      const described = await RuangKerja.forms();
      const type = described.types[at.rest[0]] ? at.rest[0] : "agreement.propose";
      body.innerHTML = `<label class="type">Jenis pengajuan <select id="jenis">${Object.entries(described.types)
        .map(([name, t]) => `<option value="${esc(name)}"${name === type ? " selected" : ""}>${esc(t.title)}</option>`)
        .join("")}</select></label><div id="hasil" role="status"></div><div id="formulir"></div>`;
      body.querySelector("#jenis").addEventListener("change", (event) => {
        location.hash = `#/ajukan/${event.target.value}`;
      });
      const result = body.querySelector("#hasil");
      const draw = async (value) => {
        const form = await Formulir.form(type, value, async (data) => {
          const answer = await RuangKerja.submit(type, data);
          if (answer.queued) {
            const waiting = (await RuangKerja.queued()).filter((i) => i.state === "menunggu").length;
            result.innerHTML = `<p class="notice">${answer.busy ? "Platform sedang tidak dapat menerima"
              : "Luring"}: pengajuan disimpan di antrean (kunci ${esc(answer.item.key)});
              ${waiting} pengajuan menunggu di antrean dan dikirim begitu koneksi kembali.</p>`;
            await draw(await prefill(type, at));  // a fresh form for the next one
            return null;
          }
          if (answer.status !== 202) return answer.data;
          location.hash = `#/pengajuan?baru=${answer.data.id}`;
          return null;
        });
        body.querySelector("#formulir").replaceChildren(form);
      };
      await draw(await prefill(type, at));
    },
  });
})();
