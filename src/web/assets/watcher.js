// A watcher's page: its CPU and memory, each process with a chart and kill/signal actions, its
// options (editable as far as `set` and the user's role allow), its output as it is written (the
// `logs` command), and its recent events.

import { command } from "./api.js";
import { Chart, fmtValue } from "./charts.js";
import { watcherActions } from "./dashboard.js";
import { badge, fill, fmtAge, fmtTime, h, setText } from "./dom.js";
import { OptionsSection } from "./options.js";

const HISTORY = 300;
const PROCESS_HISTORY = 120;
const LOG_LINES = 500;
const EVENTS = 30;
const SIGNALS = ["HUP", "INT", "QUIT", "USR1", "USR2", "TERM", "KILL", "STOP", "CONT", "WINCH", "TTIN", "TTOU"];

/**
 * @param {HTMLElement} main
 * @param {import("./app.js").Context} ctx
 */
export function mount(main, ctx) {
  const name = ctx.watcher ?? "";
  const cpu = new Chart({ kind: "cpu", capacity: HISTORY, label: `CPU of ${name}`, big: true });
  const mem = new Chart({ kind: "rss", capacity: HISTORY, label: `Memory of ${name}`, big: true });
  const cpuText = h("span", { class: "figure" });
  const memText = h("span", { class: "figure" });
  const title = h("h1", null, name);
  const state = h("span", { class: "state" });
  const processBody = h("tbody");
  const optionsSection = new OptionsSection(name, ctx);
  const logBox = h("div", { class: "log", tabindex: "0", role: "log", "aria-label": `Output of ${name}` });
  const logNote = h("p", { class: "muted" });
  const eventList = h("ol", { class: "feed" });
  /** @type {Map<number, { row: HTMLElement, started: number | null, age: HTMLElement, cpu: Chart, mem: Chart, cpuText: HTMLElement, memText: HTMLElement }>} */
  const procs = new Map();
  let clockOffset = 0;

  const nowSeconds = () => (Date.now() + clockOffset) / 1000;

  /** @param {any} p */
  function processRow(p) {
    const c = new Chart({ kind: "cpu", capacity: PROCESS_HISTORY, label: `CPU of process ${p.pid}` });
    const m = new Chart({ kind: "rss", capacity: PROCESS_HISTORY, label: `Memory of process ${p.pid}` });
    c.set(p.usage.cpu);
    m.set(p.usage.rss);
    const age = h("td", { class: "num" });
    const cpuCell = h("span", { class: "figure" }, fmtValue("cpu", c.values.at(-1) ?? null));
    const memCell = h("span", { class: "figure" }, fmtValue("rss", m.values.at(-1) ?? null));
    const signal = h(
      "select",
      { "aria-label": `Signal for process ${p.pid}` },
      SIGNALS.map((s) => h("option", { value: s }, `SIG${s}`)),
    );
    const actions = ctx.can("operate")
      ? h(
          "span",
          { class: "actions" },
          h(
            "button",
            {
              type: "button",
              "data-action": "kill",
              "aria-label": `Kill process ${p.pid}`,
              onclick: () => command("kill", { name, pid: p.pid }, `stopping process ${p.pid}`),
            },
            "Kill",
          ),
          signal,
          h(
            "button",
            {
              type: "button",
              "data-action": "signal",
              "aria-label": `Send the signal to process ${p.pid}`,
              onclick: () =>
                command("signal", { name, pid: p.pid, signum: signal.value }, `SIG${signal.value} sent to ${p.pid}`),
            },
            "Send",
          ),
        )
      : null;
    const row = h(
      "tr",
      { "data-pid": p.pid },
      h("th", { scope: "row", class: "num" }, String(p.pid)),
      h("td", { class: "num" }, p.wid ?? "–"),
      age,
      h("td", { class: "usage", "data-label": "CPU" }, c.el, cpuCell),
      h("td", { class: "usage", "data-label": "Memory" }, m.el, memCell),
      h("td", null, actions),
    );
    return { row, started: p.started, age, cpu: c, mem: m, cpuText: cpuCell, memText: memCell };
  }

  /** @param {any[]} list */
  function showProcesses(list) {
    const next = new Map();
    for (const p of list) {
      let r = procs.get(p.pid);
      if (!r || (r.started === null && p.started !== null)) r = processRow(p);
      next.set(p.pid, r);
    }
    procs.clear();
    for (const [pid, r] of next) procs.set(pid, r);
    fill(
      processBody,
      [...procs.values()].map((r) => r.row),
    );
    if (procs.size === 0)
      processBody.appendChild(h("tr", null, h("td", { colspan: 6, class: "muted" }, "No process.")));
    updateAges();
  }

  function updateAges() {
    const now = nowSeconds();
    for (const r of procs.values()) setText(r.age, r.started === null ? "–" : fmtAge(now - r.started));
  }

  /** @param {any[]} lines */
  function addLogLines(lines) {
    const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
    for (const l of lines) {
      logBox.appendChild(
        h(
          "div",
          { class: l.stream === "stderr" ? "line err" : "line" },
          h("span", { class: "pid" }, `[${l.pid}]`),
          " ",
          l.line,
        ),
      );
    }
    while (logBox.children.length > LOG_LINES) logBox.firstChild?.remove();
    if (atBottom) logBox.scrollTop = logBox.scrollHeight;
  }

  /** @param {any} e */
  function eventItem(e) {
    const detail = Object.entries(e.detail)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join(" ");
    return h("li", null, h("time", null, fmtTime(e.time)), " ", h("strong", null, e.event), detail ? ` ${detail}` : "");
  }

  /** @param {any} w */
  function showState(w) {
    fill(
      state,
      badge(w.status),
      " ",
      w.numprocesses === null ? `${w.processes} processes` : `${w.processes} of ${w.numprocesses} processes`,
    );
  }

  const timer = setInterval(updateAges, 1000);
  window.addEventListener("pagehide", () => clearInterval(timer));

  return {
    /** @param {any} s */
    snapshot(s) {
      clockOffset = s.now - Date.now();
      const d = s.detail;
      if (!d) {
        fill(main, h("h1", null, name), h("p", { class: "notice" }, "There is no watcher of that name."));
        return;
      }
      cpu.set(d.watcher.usage.cpu);
      mem.set(d.watcher.usage.rss);
      setText(cpuText, fmtValue("cpu", cpu.values.at(-1) ?? null));
      setText(memText, fmtValue("rss", mem.values.at(-1) ?? null));
      showState(d.watcher);
      procs.clear();
      showProcesses(d.processes);
      optionsSection.show(d.options ?? {}, d.editable ?? {});
      logBox.replaceChildren();
      addLogLines(d.logs);
      setText(logNote, d.logsError ?? "");
      fill(eventList, d.events.slice(-EVENTS).reverse().map(eventItem));
      const remove = ctx.can("admin")
        ? h(
            "button",
            {
              type: "button",
              class: "danger",
              "data-action": "rm",
              onclick: async () => {
                if (!confirm(`Remove watcher ${name} and stop its processes?`)) return;
                if (await command("rm", { name }, `${name} removed`)) location.assign("/");
              },
            },
            "Remove",
          )
        : null;
      fill(
        main,
        h("div", { class: "title" }, title, state),
        h("div", { class: "toolbar" }, watcherActions(name, ctx), remove),
        h(
          "section",
          { class: "charts", "aria-label": "Usage" },
          h("div", null, h("h2", null, "CPU ", cpuText), cpu.el),
          h("div", null, h("h2", null, "Memory ", memText), mem.el),
        ),
        h(
          "section",
          { "aria-label": "Processes" },
          h("h2", null, "Processes"),
          h(
            "table",
            { class: "processes" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["PID", "Slot (wid)", "Age", "CPU", "Memory", ""].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            processBody,
          ),
        ),
        h("section", { "aria-label": "Output" }, h("h2", null, "Output"), logNote, logBox),
        optionsSection.el,
        h("section", { "aria-label": "Recent events" }, h("h2", null, "Recent events"), eventList),
      );
      logBox.scrollTop = logBox.scrollHeight;
    },
    /** @param {any} t */
    tick(t) {
      const own = t.common.watchers[name];
      if (own) {
        cpu.push(own[0]);
        mem.push(own[1]);
        setText(cpuText, fmtValue("cpu", own[0]));
        setText(memText, fmtValue("rss", own[1]));
      }
      for (const [pid, p] of Object.entries(t.pids ?? {})) {
        const r = procs.get(Number(pid));
        if (!r) continue;
        r.cpu.push(p[0]);
        r.mem.push(p[1]);
        setText(r.cpuText, fmtValue("cpu", p[0]));
        setText(r.memText, fmtValue("rss", p[1]));
      }
    },
    /** @param {any} w */
    watcher(w) {
      if (w.name === name) showState(w);
    },
    /** @param {any} o */
    options(o) {
      if (o.name !== name || !o.options) return;
      optionsSection.show(o.options);
    },
    /** @param {any[]} list */
    processes(list) {
      showProcesses(list);
    },
    /** @param {any} l */
    logs(l) {
      addLogLines(l.lines);
      setText(logNote, l.error ?? "");
    },
    /** @param {any} e */
    feed(e) {
      if (e.watcher !== name) return;
      eventList.insertBefore(eventItem(e), eventList.firstChild);
      while (eventList.children.length > EVENTS) eventList.lastChild?.remove();
    },
    /** @param {{ name: string }} r */
    removed(r) {
      if (r.name === name) fill(main, h("h1", null, name), h("p", { class: "notice" }, "This watcher was removed."));
    },
  };
}
