// Shell-like word splitting and quoting with exactly the semantics of Python's `shlex.split(s)` (its
// defaults: POSIX mode, no comments) and `shlex.quote`, because Circus splits `cmd`, `args`,
// `shell_args` and circusctl's shell lines with them. test/util/shlex.test.ts checks it against Python.

/** Why a text could not be split: a quote left open, or a backslash with nothing after it. */
export type ShlexProblem = "unclosed-quote" | "trailing-escape";

/** Raised by `split` with Python's own message ("No closing quotation", "No escaped character"). */
export class ShlexError extends Error {
  override readonly name = "ShlexError";
  constructor(readonly problem: ShlexProblem) {
    super(problem === "unclosed-quote" ? "No closing quotation" : "No escaped character");
  }
}

// shlex's whitespace is these four only: a form feed or vertical tab is part of a word.
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

/**
 * Split `text` into words: whitespace separates, '…' keeps everything literal, "…" keeps everything but
 * `\"` and `\\`, a backslash outside quotes takes the next character literally; `#` is an ordinary character.
 */
export function split(text: string): string[] {
  const words: string[] = [];
  let word = "";
  // A word is pending once it has a character or a quote ('' alone is an empty word).
  let pending = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.has(c)) {
      if (pending) words.push(word);
      word = "";
      pending = false;
      i++;
      continue;
    }
    pending = true;
    if (c === "\\") {
      if (i + 1 >= text.length) throw new ShlexError("trailing-escape");
      word += text[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError("unclosed-quote");
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new ShlexError("unclosed-quote");
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\") {
          if (i + 1 >= text.length) throw new ShlexError("trailing-escape");
          const next = text[i + 1]!;
          // Inside double quotes only the quote and the backslash itself can be escaped.
          word += next === '"' || next === "\\" ? next : d + next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else {
      word += c;
      i++;
    }
  }
  if (pending) words.push(word);
  return words;
}

const SAFE = /^[\w@%+=:,./-]+$/;

/** Quote one word so a POSIX shell (and `split`) reads it back verbatim. */
export function quote(word: string): string {
  if (word === "") return "''";
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** Quote and join words into one shell command line. */
export function join(words: readonly string[]): string {
  return words.map(quote).join(" ");
}
