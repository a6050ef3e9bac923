// The connect page: the daemon this console talks to, another endpoint to talk to instead (admin),
// and the daemons that answered multicast discovery.

import { notify, post } from "./api.js";
import { fill, h, setText } from "./dom.js";

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} ctx
 */
export function mount(main, ctx) {
  const current = h("p", { class: "current" });
  const found = h("ul", { class: "found" });
  const foundNote = h("p", { class: "muted" });
  let searched = false;

  /** @param {string} endpoint */
  async function connectTo(endpoint) {
    const answer = await post("/api/connect", { endpoint });
    if (answer) notify(`connecting to ${endpoint}`);
  }

  async function discover() {
    setText(foundNote, "Searching…");
    const r = await fetch("/api/discover", { credentials: "same-origin" });
    const answer = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok || answer.error) {
      setText(foundNote, answer.error ?? `HTTP ${r.status}`);
      fill(found);
      return;
    }
    setText(
      foundNote,
      answer.daemons.length ? `Found by ${answer.multicast}:` : `No daemon answered on ${answer.multicast}.`,
    );
    fill(
      found,
      answer.daemons.map((/** @type {any} */ d) =>
        h(
          "li",
          null,
          h("code", null, d.endpoint),
          ` (from ${d.address}) `,
          ctx.can("admin") ? h("button", { type: "button", onclick: () => connectTo(d.endpoint) }, "Connect") : null,
        ),
      ),
    );
  }

  /** @param {any} c */
  function showCurrent(c) {
    if (c.state === "disconnected") setText(current, "Not connected to any daemon.");
    else setText(current, `${c.endpoint}: ${c.state}${c.error ? ` (${c.error})` : ""}`);
  }

  return {
    /** @param {any} s */
    snapshot(s) {
      showCurrent(s.connection);
      const endpoint = h("input", {
        name: "endpoint",
        required: true,
        spellcheck: "false",
        autocomplete: "off",
        placeholder: "tcp://127.0.0.1:5555",
      });
      endpoint.value = s.connection.endpoint ?? "tcp://127.0.0.1:5555";
      fill(
        main,
        h("h1", null, "Connect"),
        current,
        ctx.can("admin")
          ? h(
              "form",
              {
                class: "inline card",
                onsubmit: (/** @type {Event} */ e) => {
                  e.preventDefault();
                  connectTo(endpoint.value.trim());
                },
              },
              h("label", { for: "endpoint" }, "Control endpoint "),
              Object.assign(endpoint, { id: "endpoint" }),
              h("button", { type: "submit" }, "Connect"),
            )
          : h("p", { class: "muted" }, "Only an admin can connect the console to another daemon."),
        h("h2", null, "Daemons on the network"),
        h("button", { type: "button", onclick: discover }, "Search"),
        foundNote,
        found,
      );
      if (!searched) void discover();
      searched = true;
    },
    /** @param {any} c */
    connection(c) {
      showCurrent(c);
    },
  };
}
