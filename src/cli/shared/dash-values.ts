// cac (through mri) reads `--log-output -` as a flag set to true followed by a stray word "-", so
// `circusd-stats --log-output -` wrote its log into a file named `true`. Glue a lone "-" to the
// options that take it as their value before cac sees the words.

/** `argv` with `--opt -` turned into `--opt=-` for each option in `options` (spelled `--opt`). */
export function keepDashValues(argv: readonly string[], options: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (options.includes(word) && argv[i + 1] === "-") {
      out.push(`${word}=-`);
      i++;
    } else {
      out.push(word);
    }
  }
  return out;
}
