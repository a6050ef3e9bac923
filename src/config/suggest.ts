// "did you mean …?" for names that are a typo away from a known one: option keys, stream sub-options,
// section kinds, plugin names, ctl commands and the top-level `circus` commands all use this one rule.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring characters
 * (optimal string alignment), so `stauts` is one edit from `status` as a typist would judge it.
 */
export function editDistance(a: string, b: string): number {
  // Three rows: the one two above is needed for transpositions.
  let twoUp: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, twoUp[j - 2]! + 1);
      cur[j] = d;
    }
    twoUp = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

export interface SuggestOptions {
  /**
   * Also offer known names that start with the key (`stat` → `status`): right for command words, where
   * an abbreviation is a likely intent; off for option keys, where a prefix is usually another key.
   */
  prefixes?: boolean;
}

/** Same letters in another order: a swap, the most likely slip. */
function sameLetters(a: string, b: string): boolean {
  return a.length === b.length && [...a].sort().join("") === [...b].sort().join("");
}

/**
 * Every known name close to `key`, best first: those at the smallest edit distance (within 2, or 1 when
 * either name is shorter than 5 characters, where 2 edits turn almost anything into anything), ties
 * all kept; a name differing only in case alone; with `prefixes`, names starting with `key` too.
 * Known names themselves get no suggestion.
 */
export function suggestions(key: string, known: Iterable<string>, options: SuggestOptions = {}): string[] {
  const names = [...new Set(known)];
  if (names.includes(key)) return [];
  const caseOnly = names.filter((n) => n.toLowerCase() === key.toLowerCase());
  if (caseOnly.length > 0) return caseOnly;
  const lower = key.toLowerCase();
  const scored = names.map((name, index) => {
    const distance = editDistance(lower, name.toLowerCase());
    const limit = Math.min(key.length, name.length) < 5 ? 1 : 2;
    const prefix = key.length >= 2 && name.toLowerCase().startsWith(lower);
    return { name, index, distance, near: distance <= limit, prefix, swap: sameLetters(lower, name.toLowerCase()) };
  });
  const best = Math.min(...scored.filter((s) => s.near).map((s) => s.distance));
  const picked = scored.filter((s) => (s.near && s.distance === best) || (options.prefixes === true && s.prefix));
  // Among equals: a swap, then an abbreviation, then the caller's order.
  picked.sort(
    (x, y) =>
      x.distance - y.distance ||
      Number(y.swap) - Number(x.swap) ||
      Number(y.prefix) - Number(x.prefix) ||
      x.index - y.index,
  );
  return picked.map((s) => s.name);
}

/** The best suggestion alone, or null. */
export function suggest(key: string, known: Iterable<string>, options: SuggestOptions = {}): string | null {
  return suggestions(key, known, options)[0] ?? null;
}

/**
 * `did you mean "status"?` / `did you mean "stats", "start" or "status"?` (each name rendered by `show`,
 * JSON quotes by default), or "" when nothing is close.
 */
export function didYouMean(
  key: string,
  known: Iterable<string>,
  options: SuggestOptions & { show?: (name: string) => string } = {},
): string {
  const found = suggestions(key, known, options).map(options.show ?? ((n) => JSON.stringify(n)));
  if (found.length === 0) return "";
  const list = found.length === 1 ? found[0]! : `${found.slice(0, -1).join(", ")} or ${found[found.length - 1]}`;
  return `did you mean ${list}?`;
}
