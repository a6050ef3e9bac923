// A watcher's options on its page: each shown as Circus reports it; those `set` applies and the
// user's role allows get a field and a Save button; an admin may also set any other key.

import { command, notify } from "./api.js";
import { fill, h, optionText } from "./dom.js";

/**
 * Turn what was typed for option `key` back into the JSON `set` expects, shaped like `original`.
 * @param {string} key
 * @param {unknown} original
 * @param {string} text
 * @param {boolean} checked
 */
export function parseOption(key, original, text, checked) {
  if (typeof original === "boolean") return checked;
  const t = text.trim();
  if (key === "env") {
    /** @type {Record<string, string>} */
    const env = {};
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const eq = line.indexOf("=");
      if (eq <= 0) throw new Error(`env: "${line}" is not KEY=value`);
      env[line.slice(0, eq).trim()] = line.slice(eq + 1);
    }
    return env;
  }
  if (typeof original === "number" && key !== "stop_signal") {
    const n = Number(t);
    if (t === "" || !Number.isFinite(n)) throw new Error(`${key}: "${text}" is not a number`);
    return n;
  }
  if (key === "stop_signal" || key === "uid" || key === "gid") return /^\d+$/.test(t) ? Number(t) : t;
  if ((key === "working_dir" || key === "args") && t === "") return null;
  return text;
}

export class OptionsSection {
  /**
   * @param {string} name the watcher
   * @param {import("./app.js").Context} ctx
   */
  constructor(name, ctx) {
    this.name = name;
    this.ctx = ctx;
    /** @type {Record<string, unknown>} */
    this.options = {};
    /** @type {Record<string, string>} */
    this.editable = {};
    this.body = h("tbody");
    this.el = h(
      "section",
      { "aria-label": "Options" },
      h("h2", null, "Options"),
      h(
        "table",
        { class: "options" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Option", "Value", ""].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        this.body,
      ),
      this.anyKeyForm(),
    );
  }

  /** @param {string} key */
  row(key) {
    const { name, ctx } = this;
    const value = this.options[key];
    const needed = this.editable[key];
    const shown = h("td", { class: "value" }, h("code", null, optionText(key, value)));
    if (!needed || !ctx.can(needed)) return h("tr", null, h("th", { scope: "row" }, key), shown, h("td"));
    const id = `opt-${key}`;
    /** @type {any} */
    let input;
    if (typeof value === "boolean") input = h("input", { type: "checkbox", id, checked: value });
    else if (key === "env") input = h("textarea", { id, rows: 3, spellcheck: "false" });
    else input = h("input", { id, type: "text", spellcheck: "false", autocomplete: "off" });
    if (typeof value !== "boolean") input.value = optionText(key, value);
    const save = h(
      "button",
      {
        type: "submit",
        "aria-label": `Save ${key}`,
      },
      "Save",
    );
    const form = h(
      "form",
      {
        class: "inline",
        "data-option": key,
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          let parsed;
          try {
            parsed = parseOption(key, value, input.value ?? "", Boolean(input.checked));
          } catch (err) {
            notify(err instanceof Error ? err.message : String(err), "error");
            return;
          }
          await command("set", { name, options: { [key]: parsed } }, `${key} of ${name} changed`);
        },
      },
      h("label", { for: id, class: "visually-hidden" }, `New ${key}`),
      input,
      save,
    );
    return h("tr", null, h("th", { scope: "row" }, key), shown, h("td", null, form));
  }

  /**
   * Show `options` (and which keys the user may edit, when given).
   * @param {Record<string, unknown>} options
   * @param {Record<string, string>} [editable]
   */
  show(options, editable) {
    this.options = options;
    if (editable) this.editable = editable;
    const active = document.activeElement;
    // Do not pull an option from under the user's cursor while they type.
    if (active && this.body.contains(active)) return;
    fill(
      this.body,
      Object.keys(options)
        .sort()
        .map((key) => this.row(key)),
    );
  }

  /** Set any key (hooks.*, *_stream.*, free options): admin only. */
  anyKeyForm() {
    const { name, ctx } = this;
    if (!ctx.can("admin")) return null;
    const key = h("input", { type: "text", "aria-label": "Option", placeholder: "option (e.g. hooks.after_start)" });
    const value = h("input", { type: "text", "aria-label": "Value", placeholder: "value (JSON or text)" });
    return h(
      "form",
      {
        class: "inline set-any",
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const k = key.value.trim();
          if (!k) return;
          let v;
          try {
            v = JSON.parse(value.value);
          } catch {
            v = value.value;
          }
          await command("set", { name, options: { [k]: v } }, `${k} of ${name} changed`);
        },
      },
      key,
      value,
      h("button", { type: "submit" }, "Set"),
    );
  }
}
