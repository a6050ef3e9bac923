// Counted byte-prefix subscriptions, as a PUB keeps per subscriber and a SUB keeps for itself.
// Adding, cancelling and matching cost the same with 5 or 50 000 subscriptions: prefixes are keys of a
// Map, and a topic is matched by looking up each of its own prefixes whose length some subscription has
// (at most the topic's length, a few dozen bytes for Circus), never by scanning the subscriptions.

/** Whether `data` starts with `prefix`. */
export function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

/** Bytes as a string of the same length (one char per byte), usable as a Map key. */
function keyOf(bytes: Uint8Array, length = bytes.length): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Limits a PUB puts on what one subscriber may make it remember; without them, none. */
export interface SubscriptionLimits {
  /** Distinct prefixes. */
  maxPrefixes: number;
  /** Bytes of all distinct prefixes together. */
  maxBytes: number;
}

export class Subscriptions {
  private readonly entries = new Map<string, { prefix: Uint8Array; count: number }>();
  /** How many distinct prefixes have each length: matching looks up only these lengths. */
  private readonly lengths = new Map<number, number>();
  private bytes = 0;

  constructor(private readonly limits?: SubscriptionLimits) {}

  /** Add one reference to `prefix`; false (nothing added) when a new prefix would pass the limits. */
  add(prefix: Uint8Array): boolean {
    const key = keyOf(prefix);
    const e = this.entries.get(key);
    if (e) {
      e.count++;
      return true;
    }
    const limits = this.limits;
    if (limits && (this.entries.size >= limits.maxPrefixes || this.bytes + prefix.length > limits.maxBytes)) {
      return false;
    }
    this.entries.set(key, { prefix: prefix.slice(), count: 1 });
    this.lengths.set(prefix.length, (this.lengths.get(prefix.length) ?? 0) + 1);
    this.bytes += prefix.length;
    return true;
  }

  /** Drop one reference; returns false if `prefix` was not subscribed. */
  remove(prefix: Uint8Array): boolean {
    const key = keyOf(prefix);
    const e = this.entries.get(key);
    if (!e) return false;
    if (--e.count > 0) return true;
    this.entries.delete(key);
    const n = this.lengths.get(prefix.length)! - 1;
    if (n === 0) this.lengths.delete(prefix.length);
    else this.lengths.set(prefix.length, n);
    this.bytes -= prefix.length;
    return true;
  }

  /** Whether a message whose first frame is `topic` passes any subscription. */
  matches(topic: Uint8Array): boolean {
    if (this.entries.size === 0) return false;
    if (this.lengths.size <= 8) {
      // The usual case (a handful of topics): one look-up per distinct length.
      for (const length of this.lengths.keys()) {
        if (length <= topic.length && this.entries.has(keyOf(topic, length))) return true;
      }
      return false;
    }
    // Many lengths: walk the topic once, growing its prefix, and look up the lengths in use.
    let key = "";
    for (let length = 0; ; length++) {
      if (this.lengths.has(length) && this.entries.has(key)) return true;
      if (length === topic.length) return false;
      key += String.fromCharCode(topic[length]!);
    }
  }

  /** Distinct prefixes. */
  get size(): number {
    return this.entries.size;
  }

  /** Every prefix repeated by its count, so replaying them rebuilds the same counts elsewhere. */
  *each(): Iterable<Uint8Array> {
    for (const e of this.entries.values()) for (let i = 0; i < e.count; i++) yield e.prefix;
  }
}
