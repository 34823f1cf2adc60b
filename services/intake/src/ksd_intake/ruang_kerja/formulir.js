// Forms generated from the JSON Schema intake validates every submission with (GET api/formulir:
// intake's own schema, with the Indonesian labels and help of ksd_contracts.forms), and checked in
// the page against that same schema before anything is sent: the rules a person meets here are the
// API's, field by field, with the API's error codes. What the schema cannot say (a KSDD needs two
// regions) intake still answers with its 422, shown beside the form the same way.
"use strict";
const Formulir = (() => {
  const { esc } = RuangKerja;
  const REF = "#/components/schemas/";
  let components = {};
  let choices = {};

  const resolve = (schema) => {
    if (!schema || !schema.$ref) return schema || {};
    const { $ref, ...rest } = schema;
    return { ...components[$ref.slice(REF.length)], ...rest };
  };
  // `X | None` in pydantic: anyOf [X, null]. The form shows X, and an empty X is left out.
  function optional(schema) {
    const branches = schema.anyOf || [];
    const other = branches.filter((b) => b.type !== "null");
    if (branches.length === 2 && other.length === 1) {
      return { ...resolve(other[0]), title: schema.title, description: schema.description, default: schema.default };
    }
    return null;
  }
  const choiceText = (value) => choices[value] || value;

  // --- the validator: the schema's rules, with pydantic's codes and intake's Indonesian words --------
  function check(schema, value, path, errors) {
    schema = resolve(schema);
    const fail = (code, msg) => errors.push({ path, code, msg });
    const inner = optional(schema);
    if (inner) return value == null ? undefined : check(inner, value, path, errors);
    if (schema.oneOf && schema.discriminator) {
      const tag = value && value[schema.discriminator.propertyName];
      const target = schema.discriminator.mapping[tag];
      if (!target) return fail("union_tag_not_found", `tentukan jenisnya (${schema.discriminator.propertyName})`);
      return check({ $ref: target }, value, path, errors);
    }
    if (value === undefined || value === null || value === "") return fail("missing", "wajib diisi");
    if ("const" in schema && value !== schema.const) return fail("literal_error", `harus ${schema.const}`);
    if (schema.enum && !schema.enum.includes(value)) {
      return fail("enum", `harus salah satu dari: ${schema.enum.map(choiceText).join(", ")}`);
    }
    switch (schema.type) {
      case "string":
        if (typeof value !== "string") return fail("string_type", "harus teks");
        if (schema.minLength && value.length < schema.minLength) {
          fail("string_too_short", `paling sedikit ${schema.minLength} karakter`);
        }
        if (schema.maxLength && value.length > schema.maxLength) {
          fail("string_too_long", `paling banyak ${schema.maxLength} karakter`);
        }
        if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
          fail("string_pattern_mismatch", `tidak sesuai pola ${schema.pattern}`);
        }
        if (schema.format === "date" && !realDate(value)) {
          fail("date_parsing", "bukan tanggal YYYY-MM-DD yang ada di kalender");
        }
        if (schema.format === "uuid" && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
          fail("uuid_parsing", "bukan UUID yang sah");
        }
        return;
      case "integer":
        if (!Number.isInteger(value)) return fail("int_type", "harus bilangan bulat");
        if (schema.minimum != null && value < schema.minimum) fail("greater_than_equal", `paling kecil ${schema.minimum}`);
        if (schema.maximum != null && value > schema.maximum) fail("less_than_equal", `paling besar ${schema.maximum}`);
        return;
      case "boolean":
        if (typeof value !== "boolean") fail("bool_type", "harus ya atau tidak");
        return;
      case "array":
        if (!Array.isArray(value)) return fail("list_type", "harus daftar");
        if (schema.minItems && value.length < schema.minItems) fail("too_short", `paling sedikit ${schema.minItems} butir`);
        if (schema.maxItems && value.length > schema.maxItems) fail("too_long", `paling banyak ${schema.maxItems} butir`);
        value.forEach((item, i) => check(schema.items || {}, item, join(path, i), errors));
        return;
      case "object": {
        if (typeof value !== "object" || Array.isArray(value)) return fail("dict_type", "harus objek");
        for (const name of schema.required || []) {
          if (value[name] === undefined) errors.push({ path: join(path, name), code: "missing", msg: "wajib diisi" });
        }
        for (const [name, item] of Object.entries(value)) {
          const property = (schema.properties || {})[name];
          if (property) check(property, item, join(path, name), errors);
          else if (schema.additionalProperties === false) {
            errors.push({ path: join(path, name), code: "extra_forbidden", msg: "kolom ini tidak dikenal" });
          }
        }
        return;
      }
      default:
    }
  }
  const MONTHS = { jan: 1, januari: 1, feb: 2, februari: 2, mar: 3, maret: 3, apr: 4, april: 4, mei: 5, jun: 6, juni: 6,
    jul: 7, juli: 7, agu: 8, agt: 8, agustus: 8, sep: 9, september: 9, okt: 10, oktober: 10, nov: 11, november: 11,
    des: 12, desember: 12 };
  // A date as typed (2026-11-28, 28/11/2026, 28-11-2026, 28 Nov 2026, 28 November 2026): ISO, or null.
  function isoDate(text) {
    const t = text.trim().toLowerCase();
    let m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$/.exec(t);
    if (m) return `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
    m = /^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$/.exec(t);
    if (m) return `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
    m = /^([0-9]{1,2})\s+([a-z]+)\s+([0-9]{4})$/.exec(t);
    if (m && MONTHS[m[2]]) return `${m[3]}-${String(MONTHS[m[2]]).padStart(2, "0")}-${m[1].padStart(2, "0")}`;
    return null;
  }
  const join = (path, name) => (path === "" ? String(name) : `${path}.${name}`);
  function realDate(text) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return false;
    const day = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
  }

  // --- the form: one control per field, each reading its value back ----------------------------------
  // build(schema, path, value) -> { el, read() }: read() gives the value as JSON, or undefined when empty.
  function build(schema, path, value, label) {
    schema = resolve(schema);
    // The label the caller gives: a property's Indonesian title, or an item's number in its list.
    const title = label || path;
    const inner = optional(schema);
    if (inner) return build(inner, path, value, label);
    if (schema.oneOf && schema.discriminator) return union(schema, path, value, title);
    if ("const" in schema) return { el: document.createDocumentFragment(), read: () => schema.const };
    if (schema.type === "object" && schema.properties) return object(schema, path, value, title);
    if (schema.type === "array" && resolve(schema.items).type === "object") return list(schema, path, value, title);
    if (schema.type === "array" && resolve(schema.items).oneOf) return list(schema, path, value, title);
    return field(schema, path, value, title);
  }

  function wrap(path, title, help, control, required) {
    const box = document.createElement("div");
    box.className = "field";
    box.dataset.path = path;
    box.innerHTML = `<label><span class="name">${esc(title)}${required ? ' <abbr title="wajib">*</abbr>' : ""}</span></label>`;
    box.querySelector("label").append(control);
    if (help) box.insertAdjacentHTML("beforeend", `<small>${esc(help)}</small>`);
    box.insertAdjacentHTML("beforeend", '<p class="field-error" hidden></p>');
    return box;
  }

  function field(schema, path, value, title) {
    let control;
    let read;
    const items = schema.type === "array" ? resolve(schema.items) : null;
    if (schema.enum || (items && items.enum)) {
      const options = schema.enum || items.enum;
      control = document.createElement("select");
      control.innerHTML = `<option value="">— pilih —</option>` + options
        .map((o) => `<option value="${esc(o)}"${o === (value ?? schema.default) ? " selected" : ""}>${esc(choiceText(o))}</option>`)
        .join("");
      read = () => control.value || undefined;
    } else if (schema.type === "boolean") {
      control = document.createElement("select");
      const current = value ?? schema.default;
      control.innerHTML = `<option value="">—</option><option value="true"${current === true ? " selected" : ""}>Ya</option>`
        + `<option value="false"${current === false ? " selected" : ""}>Tidak</option>`;
      read = () => (control.value === "" ? undefined : control.value === "true");
    } else if (schema.type === "integer") {
      control = document.createElement("input");
      control.type = "text";
      control.inputMode = "numeric";
      control.value = value ?? "";
      read = () => {
        const text = control.value.replace(/[.\s]/g, "");
        return text === "" ? undefined : /^-?[0-9]+$/.test(text) ? Number(text) : control.value;
      };
    } else if (schema.type === "array") {
      // A list of plain values (codes, objects of the cooperation): one per line.
      control = document.createElement("textarea");
      control.rows = 3;
      control.value = (value || []).join("\n");
      read = () => {
        const lines = control.value.split("\n").map((l) => l.trim()).filter(Boolean);
        return lines.length ? lines : undefined;
      };
    } else if (schema.type === "object") {
      control = document.createElement("textarea");
      control.rows = 6;
      control.value = value ? JSON.stringify(value, null, 2) : "";
      read = () => {
        if (!control.value.trim()) return undefined;
        try {
          return JSON.parse(control.value);
        } catch (error) {
          return control.value;
        }
      };
    } else if (schema.format === "date") {
      // Typed as people here write a date (28/11/2026, 28 Nov 2026), sent as ISO; the date as read
      // is shown beside it, so a day and a month are never swapped unseen.
      control = document.createElement("input");
      control.type = "text";
      control.placeholder = "hh/bb/tttt, mis. 28/11/2026";
      control.value = value ? value.split("-").reverse().join("/") : "";
      const shown = document.createElement("output");
      shown.className = "as-read";
      const update = () => {
        const iso = isoDate(control.value);
        shown.textContent = iso && realDate(iso) ? RuangKerja.dateText(iso) : "";
      };
      control.addEventListener("input", update);
      update();
      read = () => (control.value.trim() === "" ? undefined : isoDate(control.value) || control.value.trim());
      control.name = path;
      const box = wrap(path, title, schema.description, control, false);
      box.querySelector("label").append(shown);
      return { el: box, read };
    } else {
      const long = (schema.maxLength || 0) > 300;
      control = document.createElement(long ? "textarea" : "input");
      if (!long) control.type = schema.format === "date" ? "date" : "text";
      if (long) control.rows = 2;
      control.value = value ?? "";
      read = () => (control.value.trim() === "" ? undefined : control.value.trim());
    }
    control.name = path;
    return { el: wrap(path, title, schema.description, control, false), read };
  }

  function object(schema, path, value, title) {
    const box = document.createElement("fieldset");
    box.dataset.path = path;
    if (path) box.innerHTML = `<legend>${esc(title)}</legend>`;
    if (path && schema.description) box.insertAdjacentHTML("beforeend", `<small>${esc(schema.description)}</small>`);
    const fields = Object.entries(schema.properties).map(([name, property]) => {
      const built = build(property, join(path, name), value ? value[name] : undefined, property.title || name);
      if ((schema.required || []).includes(name) && built.el.querySelector) {
        const label = built.el.querySelector(".name, legend");
        if (label && !label.querySelector("abbr")) label.insertAdjacentHTML("beforeend", ' <abbr title="wajib">*</abbr>');
      }
      box.append(built.el);
      return [name, built];
    });
    box.insertAdjacentHTML("beforeend", '<p class="field-error" hidden></p>');
    const read = () => {
      const result = {};
      for (const [name, built] of fields) {
        const item = built.read();
        if (item !== undefined) result[name] = item;
      }
      return result;
    };
    return { el: box, read };
  }

  function union(schema, path, value, title) {
    const box = document.createElement("div");
    box.className = "union";
    const tag = schema.discriminator.propertyName;
    const select = document.createElement("select");
    select.name = join(path, tag);
    select.innerHTML = Object.keys(schema.discriminator.mapping)
      .map((k) => `<option value="${esc(k)}"${value && value[tag] === k ? " selected" : ""}>${esc(choiceText(k))}</option>`)
      .join("");
    const holder = document.createElement("div");
    let current;
    const show = () => {
      const target = resolve({ $ref: schema.discriminator.mapping[select.value] });
      current = object(target, path, value && value[tag] === select.value ? value : undefined, title);
      current.el.querySelector(":scope > legend")?.remove();  // the list numbers its items already
      current.el.classList.add("plain");
      holder.replaceChildren(current.el);
    };
    select.addEventListener("change", show);
    box.append(wrap(join(path, tag), "Jenis", "", select, true), holder);
    show();
    return { el: box, read: () => ({ ...current.read(), [tag]: select.value }) };
  }

  function list(schema, path, value, title) {
    const box = document.createElement("fieldset");
    box.className = "list";
    box.dataset.path = path;
    box.innerHTML = `<legend>${esc(title)}</legend>` + (schema.description ? `<small>${esc(schema.description)}</small>` : "");
    const rows = document.createElement("div");
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = `Tambah ${title.toLowerCase()}`;
    const entries = [];
    const renumber = () => entries.forEach((entry, i) => {
      entry.box.querySelector(".number").textContent = `${i + 1}.`;
    });
    const append = (item) => {
      const index = entries.length;
      const built = build(schema.items, join(path, index), item, `${title} ${index + 1}`);
      const row = document.createElement("div");
      row.className = "item";
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "Hapus";
      const entry = { box: row, built };
      remove.addEventListener("click", () => {
        entries.splice(entries.indexOf(entry), 1);
        row.remove();
        renumber();
      });
      row.innerHTML = '<span class="number"></span>';
      row.append(built.el, remove);
      rows.append(row);
      entries.push(entry);
      renumber();
    };
    add.addEventListener("click", () => append(undefined));
    box.append(rows, add);
    box.insertAdjacentHTML("beforeend", '<p class="field-error" hidden></p>');
    const initial = value && value.length ? value : Array.from({ length: schema.minItems || 0 }, () => undefined);
    initial.forEach(append);
    return { el: box, read: () => {
      const items = entries.map((e) => e.built.read()).filter((v) => v !== undefined);
      return items.length ? items : undefined;
    } };
  }

  // --- errors beside their fields ---------------------------------------------------------------------
  function show(form, errors) {
    form.querySelectorAll(".field-error").forEach((p) => {
      p.hidden = true;
      p.textContent = "";
    });
    const summary = form.querySelector(".errors");
    const lines = [];
    for (const error of errors) {
      // A rule of the whole submission names its field first ("parties: KSDD memerlukan ...").
      const named = !error.path && /^([a-z_]+): /.exec(error.msg);
      const path = error.path || (named ? named[1] : "");
      const box = path && form.querySelector(`[data-path="${CSS.escape(path)}"]`);
      const label = box ? box.querySelector(".name, legend")?.firstChild?.textContent : "";
      const said = named && box ? error.msg.slice(named[0].length) : error.msg;
      if (box) {
        const p = box.querySelector(":scope > .field-error");
        p.hidden = false;
        p.textContent = [p.textContent, `${said} (${error.code})`].filter(Boolean).join("; ");
      }
      lines.push(`<li><strong>${esc(label || path || "Pengajuan")}</strong>: ${esc(said)} <code>${esc(error.code)}</code></li>`);
    }
    summary.hidden = !lines.length;
    summary.innerHTML = lines.length ? `<p>Periksa isian berikut:</p><ul>${lines.join("")}</ul>` : "";
    if (lines.length) summary.scrollIntoView({ block: "nearest" });
  }

  // A 422 of intake: its `errors` at their fields (loc: body, data, ...the field's path).
  const fromProblem = (problem) => (problem.errors || []).map((e) => ({
    path: e.loc.slice(0, 2).join(".") === "body.data" ? e.loc.slice(2).join(".") : "", code: e.code, msg: e.msg,
  }));

  // The form of one submission type: onSubmit(data) is called with valid data only.
  async function form(type, value, onSubmit) {
    const described = await RuangKerja.forms();
    components = described.components;
    choices = described.choices;
    const schema = described.types[type].schema;
    const element = document.createElement("form");
    element.className = "submission";
    element.noValidate = true;
    element.innerHTML = '<div class="errors" role="alert" hidden></div>';
    const built = build(schema, "", value, "");
    element.append(built.el);
    element.insertAdjacentHTML("beforeend", '<p><button type="submit" class="primary">Kirim</button></p>');
    element.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = built.read();
      const errors = [];
      check(schema, data, "", errors);
      show(element, errors);
      if (!errors.length) {
        const problem = await onSubmit(data);
        if (problem) show(element, fromProblem(problem).length ? fromProblem(problem)
          : [{ path: "", code: problem.code || "", msg: problem.detail || problem.title }]);
      }
    });
    return element;
  }

  return { form, check, show };
})();
