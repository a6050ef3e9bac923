// POSIX shell-like word splitting and quoting, as Python's shlex.split / shlex.quote do it,
// for `cmd`, `args` and `shell_args`.

/** Raised for an unterminated quote or a trailing escape. */
export class ShlexError extends Error {
  override readonly name = "ShlexError";
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r", "\f", "\v"]);
// Inside double quotes a backslash only escapes these (POSIX), else it stays literal.
const DQUOTE_ESCAPABLE = new Set(["\\", '"', "$", "`", "\n"]);

/** Split `text` into words: quotes group, backslash escapes, `#` starts a comment at a word start. */
export function split(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.has(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "#" && !inWord) {
      // shlex.split comments: the rest of the line is dropped.
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw new ShlexError("No escaped character");
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError("No closing quotation");
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= text.length) throw new ShlexError("No closing quotation");
        const d = text[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < text.length && DQUOTE_ESCAPABLE.has(text[i + 1]!)) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const SAFE = /^[\w@%+=:,./-]+$/;

/** Quote one word so a POSIX shell reads it back verbatim. */
export function quote(word: string): string {
  if (word === "") return "''";
  if (SAFE.test(word)) return word;
  return "'" + word.replace(/'/g, `'"'"'`) + "'";
}

/** Quote and join words into one shell command line. */
export function join(words: string[]): string {
  return words.map(quote).join(" ");
}
