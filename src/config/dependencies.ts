// `depends_on` between watchers: the load-time check (unknown names, cycles) and the orders the arbiter
// starts and stops them in. Dependencies come first; among watchers free to go, higher `priority` first,
// then the name, so a config without depends_on keeps Circus's order.

import type { Diagnostics } from "./raw.ts";
import type { SourceLocation } from "./types.ts";

/** What ordering needs of a watcher. */
export interface DependencyNode {
  readonly name: string;
  readonly priority: number;
  readonly depends_on: readonly string[];
}

const key = (name: string) => name.toLowerCase();

/**
 * Report every `depends_on` naming no watcher (or itself) and every cycle, at the line of the
 * `depends_on` key (`where(name)` gives it and the section label).
 */
export function checkDependencies(
  nodes: readonly DependencyNode[],
  diag: Diagnostics,
  where: (name: string) => { location: SourceLocation | null; label: string },
): void {
  const byName = new Map(nodes.map((n) => [key(n.name), n]));
  for (const n of nodes) {
    const at = where(n.name);
    for (const dep of n.depends_on) {
      if (key(dep) === key(n.name)) {
        diag.problem(at.location, `${at.label}.depends_on`, `a watcher cannot depend on itself, remove "${dep}"`);
      } else if (!byName.has(key(dep))) {
        const known = [...byName.values()].map((x) => x.name).filter((x) => key(x) !== key(n.name));
        diag.problem(
          at.location,
          `${at.label}.depends_on`,
          `no watcher "${dep}", expected one of ${known.length > 0 ? known.join(", ") : "(no other watcher)"}`,
        );
      }
    }
  }
  for (const cycle of findCycles(nodes)) {
    const first = cycle[0]!;
    const at = where(first);
    diag.problem(
      at.location,
      `${at.label}.depends_on`,
      `dependency cycle ${[...cycle, first].join(" → ")}, expected watchers that can start one after another`,
    );
  }
}

/** Each cycle once, as the names along it (starting at its first watcher in config order). */
export function findCycles(nodes: readonly DependencyNode[]): string[][] {
  const byName = new Map(nodes.map((n) => [key(n.name), n]));
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[][] = [];
  const stack: DependencyNode[] = [];
  const visit = (n: DependencyNode): void => {
    state.set(key(n.name), "visiting");
    stack.push(n);
    for (const dep of n.depends_on) {
      const next = byName.get(key(dep));
      if (next === undefined || next === n) continue;
      const s = state.get(key(next.name));
      if (s === "visiting") cycles.push(stack.slice(stack.indexOf(next)).map((x) => x.name));
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(key(n.name), "done");
  };
  for (const n of nodes) if (!state.has(key(n.name))) visit(n);
  return cycles;
}

/**
 * The start order: every watcher after what it depends on; among those free to start, higher priority
 * first, then by name. Unknown dependencies are ignored here (the loader refuses them); a cycle's
 * members come last, by priority, so a bad `add` never hangs a start.
 */
export function startOrder<T extends DependencyNode>(nodes: readonly T[]): T[] {
  const byName = new Map(nodes.map((n) => [key(n.name), n]));
  const waiting = new Map<T, Set<string>>();
  for (const n of nodes) {
    const deps = new Set(n.depends_on.map(key).filter((d) => byName.has(d) && d !== key(n.name)));
    waiting.set(n, deps);
  }
  const order: T[] = [];
  const byRank = (a: T, b: T) => b.priority - a.priority || (key(a.name) < key(b.name) ? -1 : 1);
  while (waiting.size > 0) {
    const free = [...waiting].filter(([, deps]) => deps.size === 0).map(([n]) => n);
    const next = (free.length > 0 ? free : [...waiting.keys()]).sort(byRank)[0]!;
    order.push(next);
    waiting.delete(next);
    for (const deps of waiting.values()) deps.delete(key(next.name));
  }
  return order;
}

/** `name` and everything it depends on, directly or not, dependencies first (start order). */
export function withDependencies<T extends DependencyNode>(nodes: readonly T[], name: string): T[] {
  const byName = new Map(nodes.map((n) => [key(n.name), n]));
  const wanted = new Set<string>();
  const collect = (n: T) => {
    if (wanted.has(key(n.name))) return;
    wanted.add(key(n.name));
    for (const dep of n.depends_on) {
      const d = byName.get(key(dep));
      if (d !== undefined) collect(d);
    }
  };
  const root = byName.get(key(name));
  if (root !== undefined) collect(root);
  return startOrder(nodes.filter((n) => wanted.has(key(n.name))));
}

/** The watchers that depend on `name`, directly or not. */
export function dependantsOf<T extends DependencyNode>(nodes: readonly T[], name: string): T[] {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) {
      if (out.has(key(n.name))) continue;
      if (n.depends_on.some((d) => key(d) === key(name) || out.has(key(d)))) {
        out.add(key(n.name));
        grew = true;
      }
    }
  }
  return nodes.filter((n) => out.has(key(n.name)));
}
