// The add-watcher form (admin only): a name, a command, and the options most often set.

import { command, notify } from "./api.js";
import { fill, h, watcherHref } from "./dom.js";

/**
 * @param {string} label
 * @param {any} input
 * @param {string} [hint]
 */
function field(label, input, hint) {
  return h(
    "label",
    { class: "field" },
    h("span", null, label),
    input,
    hint ? h("small", { class: "muted" }, hint) : null,
  );
}

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} ctx
 */
export function mount(main, ctx) {
  return {
    snapshot() {
      if (!ctx.can("admin")) {
        fill(
          main,
          h("h1", null, "Add a watcher"),
          h("p", { class: "notice" }, "Adding watchers needs the admin role."),
        );
        return;
      }
      const name = h("input", { name: "name", required: true, autocomplete: "off", spellcheck: "false" });
      const cmd = h("input", { name: "cmd", required: true, autocomplete: "off", spellcheck: "false" });
      const args = h("input", { name: "args", autocomplete: "off", spellcheck: "false" });
      const numprocesses = h("input", { name: "numprocesses", type: "number", min: 0, value: 1 });
      const workingDir = h("input", { name: "working_dir", autocomplete: "off", spellcheck: "false" });
      const env = h("textarea", { name: "env", rows: 3, spellcheck: "false", placeholder: "KEY=value, one per line" });
      const copyEnv = h("input", { name: "copy_env", type: "checkbox" });
      const singleton = h("input", { name: "singleton", type: "checkbox" });
      const respawn = h("input", { name: "respawn", type: "checkbox", checked: true });
      const stopSignal = h("input", { name: "stop_signal", placeholder: "TERM", autocomplete: "off" });
      const graceful = h("input", { name: "graceful_timeout", type: "number", min: 0, step: "any", placeholder: "30" });
      const start = h("input", { name: "start", type: "checkbox", checked: true });

      const submit = async (/** @type {Event} */ e) => {
        e.preventDefault();
        /** @type {Record<string, unknown>} */
        const options = {
          numprocesses: Number(numprocesses.value || 1),
          copy_env: copyEnv.checked,
          singleton: singleton.checked,
          respawn: respawn.checked,
        };
        if (workingDir.value.trim()) options.working_dir = workingDir.value.trim();
        if (stopSignal.value.trim()) {
          const s = stopSignal.value.trim();
          options.stop_signal = /^\d+$/.test(s) ? Number(s) : s;
        }
        if (graceful.value.trim()) options.graceful_timeout = Number(graceful.value);
        if (env.value.trim()) {
          /** @type {Record<string, string>} */
          const vars = {};
          for (const line of env.value.split("\n")) {
            if (!line.trim()) continue;
            const eq = line.indexOf("=");
            if (eq <= 0) {
              notify(`env: "${line}" is not KEY=value`, "error");
              return;
            }
            vars[line.slice(0, eq).trim()] = line.slice(eq + 1);
          }
          options.env = vars;
        }
        /** @type {Record<string, unknown>} */
        const props = { name: name.value.trim(), cmd: cmd.value.trim(), options, start: start.checked };
        if (args.value.trim()) props.args = args.value.trim();
        const reply = await command("add", props, `${props.name} added`);
        if (reply) location.assign(watcherHref(String(props.name)));
      };

      fill(
        main,
        h("h1", null, "Add a watcher"),
        h(
          "form",
          { class: "card add", onsubmit: submit },
          field("Name", name),
          field("Command", cmd, "the program and its arguments, e.g. node server.js --port 8000"),
          field("Arguments", args, "optional, appended to the command"),
          field("Processes", numprocesses),
          field("Working directory", workingDir),
          field("Environment", env),
          h(
            "div",
            { class: "checks" },
            field("Copy the daemon's environment", copyEnv),
            field("Singleton", singleton),
            field("Respawn", respawn),
          ),
          field("Stop signal", stopSignal),
          field("Graceful timeout (s)", graceful),
          field("Start at once", start),
          h("button", { type: "submit" }, "Add watcher"),
        ),
      );
      name.focus();
    },
  };
}
