// Counted byte-prefix subscriptions, as a PUB keeps per subscriber and a SUB keeps for itself.

/** Whether `data` starts with `prefix`. */
export function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && hasPrefix(a, b);
}

/** A small list is faster than a trie for the handful of topics Circus uses. */
export class Subscriptions {
  private entries: { prefix: Uint8Array; count: number }[] = [];

  /** Add one reference to `prefix`. */
  add(prefix: Uint8Array): void {
    const e = this.entries.find((x) => same(x.prefix, prefix));
    if (e) e.count++;
    else this.entries.push({ prefix: prefix.slice(), count: 1 });
  }

  /** Drop one reference; returns false if `prefix` was not subscribed. */
  remove(prefix: Uint8Array): boolean {
    const i = this.entries.findIndex((x) => same(x.prefix, prefix));
    if (i < 0) return false;
    if (--this.entries[i]!.count === 0) this.entries.splice(i, 1);
    return true;
  }

  /** Whether a message whose first frame is `topic` passes any subscription. */
  matches(topic: Uint8Array): boolean {
    for (const e of this.entries) if (hasPrefix(topic, e.prefix)) return true;
    return false;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every prefix repeated by its count, so replaying them rebuilds the same counts elsewhere. */
  *each(): Iterable<Uint8Array> {
    for (const e of this.entries) for (let i = 0; i < e.count; i++) yield e.prefix;
  }
}
