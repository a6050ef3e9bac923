// "did you mean …?" for option names that are a typo away from a known one.

/** Levenshtein distance between two strings (case-sensitive, as Circus keys are). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      // prev has b.length + 1 cells and cur has j of them here.
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `key` within edit distance 2 (1 for names shorter than 5 characters,
 * where 2 edits turn almost anything into anything) or differing only in case, or null. Known names themselves get no suggestion.
 */
export function suggest(key: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const name of known) {
    if (name === key) return null;
    if (name.toLowerCase() === key.toLowerCase()) return name;
    const limit = Math.min(key.length, name.length) < 5 ? 1 : 2;
    const d = editDistance(key, name);
    if (d <= limit && d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}
