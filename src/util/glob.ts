// Shell-style name patterns with exactly the semantics of Python's `fnmatch.fnmatchcase`, which Circus
// uses for `[env:PATTERNS]` sections and `start|stop|restart --match glob`. A pattern compiles to a list
// of parts matched by a backtracking scan (no RegExp, so no escaping to get wrong and no exponential
// blow-up); test/util/glob.test.ts checks it against Python.

type Part =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "never" }
  | { kind: "char"; char: string }
  | { kind: "set"; negate: boolean; chars: Set<string>; ranges: [number, number][] };

/** A compiled pattern: `*` any run, `?` one character, `[seq]` / `[!seq]` one of (not) seq; case-sensitive. */
export class Glob {
  private readonly parts: Part[];

  constructor(readonly pattern: string) {
    this.parts = compile(Array.from(pattern));
  }

  /** Whether the whole of `name` matches, as `fnmatch.fnmatchcase(name, pattern)`. */
  test(name: string): boolean {
    const text = Array.from(name);
    const parts = this.parts;
    let p = 0;
    let t = 0;
    // Where to resume when a later part fails: just after the last star, one more character consumed by it.
    let starPart = -1;
    let starText = 0;
    while (t < text.length) {
      const part = parts[p];
      if (part?.kind === "star") {
        starPart = p++;
        starText = t;
      } else if (part !== undefined && matchesOne(part, text[t]!)) {
        p++;
        t++;
      } else if (starPart >= 0) {
        p = starPart + 1;
        t = ++starText;
      } else return false;
    }
    while (parts[p]?.kind === "star") p++;
    return p === parts.length;
  }
}

/** `fnmatch.fnmatchcase(name, pattern)`. */
export function globMatch(name: string, pattern: string): boolean {
  return new Glob(pattern).test(name);
}

function matchesOne(part: Exclude<Part, { kind: "star" }>, c: string): boolean {
  switch (part.kind) {
    case "any":
      return true;
    case "never":
      return false;
    case "char":
      return part.char === c;
    case "set": {
      const code = codeOf(c);
      const inSet = part.chars.has(c) || part.ranges.some(([lo, hi]) => lo <= code && code <= hi);
      return inSet !== part.negate;
    }
  }
}

function compile(pat: string[]): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < pat.length) {
    const c = pat[i++]!;
    if (c === "*") {
      if (parts[parts.length - 1]?.kind !== "star") parts.push({ kind: "star" });
    } else if (c === "?") parts.push({ kind: "any" });
    else if (c === "[") {
      // The set runs to the next `]`, but a `]` right after `[` or `[!` is a member.
      let j = i;
      if (pat[j] === "!") j++;
      if (pat[j] === "]") j++;
      while (j < pat.length && pat[j] !== "]") j++;
      if (j >= pat.length) parts.push({ kind: "char", char: "[" });
      else {
        parts.push(compileSet(pat, i, j));
        i = j + 1;
      }
    } else parts.push({ kind: "char", char: c });
  }
  return parts;
}

/**
 * The set between `[` and `]` (pat[start..end)), read as fnmatch.translate reads it: the text is cut
 * into chunks at each hyphen that makes a range (never the first member), a range whose ends are out of
 * order is dropped with its ends, and the result — possibly empty or just "!" — decides the meaning.
 */
function compileSet(pat: string[], start: number, end: number): Part {
  const chunks: string[][] = [];
  if (!pat.slice(start, end).includes("-")) chunks.push(pat.slice(start, end));
  else {
    let from = start;
    let k = pat[start] === "!" ? start + 2 : start + 1;
    for (;;) {
      k = pat.indexOf("-", k);
      if (k < 0 || k >= end) break;
      chunks.push(pat.slice(from, k));
      from = k + 1;
      k += 3;
    }
    const last = pat.slice(from, end);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1]!.push("-");
    for (let n = chunks.length - 1; n > 0; n--) {
      const before = chunks[n - 1]!;
      const after = chunks[n]!;
      if (codeOf(before[before.length - 1]!) > codeOf(after[0]!)) {
        chunks[n - 1] = [...before.slice(0, -1), ...after.slice(1)];
        chunks.splice(n, 1);
      }
    }
  }
  const first = chunks[0]!;
  if (chunks.length === 1 && first.length === 0) return { kind: "never" };
  if (chunks.length === 1 && first.length === 1 && first[0] === "!") return { kind: "any" };
  const negate = first[0] === "!";
  if (negate) first.shift();
  const chars = new Set<string>();
  const ranges: [number, number][] = [];
  chunks.forEach((chunk, n) => {
    chunk.forEach((ch, at) => {
      // A chunk's first character closes the range opened by the previous chunk's last one.
      if (n > 0 && at === 0) return;
      if (n < chunks.length - 1 && at === chunk.length - 1) {
        ranges.push([codeOf(ch), codeOf(chunks[n + 1]![0]!)]);
      } else chars.add(ch);
    });
  });
  return { kind: "set", negate, chars, ranges };
}

/** Code point of a one-character string: ranges compare code points, as Python does. */
const codeOf = (ch: string): number => ch.codePointAt(0)!;
