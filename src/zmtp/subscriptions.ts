// Counted byte-prefix subscriptions, as a PUB keeps per subscriber and a SUB keeps for itself.
// Adding, cancelling and matching cost the same with 5 or 50 000 subscriptions: prefixes are keys of a
// Map, and a topic is matched by looking up those of its own prefixes whose length some subscription
// has (at most the topic's length, a few dozen bytes for Circus), never by scanning the subscriptions.

/** Whether `data` starts with `prefix`. */
export function hasPrefix(data: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

// WHATWG's "latin1" is windows-1252, which still maps the 256 byte values to 256 distinct characters.
const latin1 = new TextDecoder("latin1");

/** Bytes as a string of the same length (one distinct char per byte value), usable as a Map key. */
function keyOf(bytes: Uint8Array, length = bytes.length): string {
  return latin1.decode(length === bytes.length ? bytes : bytes.subarray(0, length));
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
    // One look-up per prefix length in use, or per prefix of the topic if there are fewer of those.
    if (this.lengths.size <= topic.length + 1) {
      for (const length of this.lengths.keys()) {
        if (length <= topic.length && this.entries.has(keyOf(topic, length))) return true;
      }
      return false;
    }
    for (let length = 0; length <= topic.length; length++) {
      if (this.lengths.has(length) && this.entries.has(keyOf(topic, length))) return true;
    }
    return false;
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
