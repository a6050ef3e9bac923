// A fixed-size ring of chart samples: memory stays flat however long the console runs.

export class Series {
  private readonly data: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity);
  }

  /** Append a sample; null (an "N/A" figure) is kept as a gap. */
  push(value: number | null): void {
    const v = value === null || !Number.isFinite(value) ? Number.NaN : value;
    if (this.count < this.capacity) {
      this.data[(this.start + this.count) % this.capacity] = v;
      this.count += 1;
    } else {
      this.data[this.start] = v;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.count;
  }

  /** The last `n` samples (all by default), oldest first, gaps as null. */
  values(n = this.count): (number | null)[] {
    const take = Math.min(n, this.count);
    const out: (number | null)[] = new Array(take);
    for (let i = 0; i < take; i++) {
      const v = this.data[(this.start + this.count - take + i) % this.capacity]!;
      out[i] = Number.isNaN(v) ? null : v;
    }
    return out;
  }

  /** The most recent sample, or null. */
  last(): number | null {
    if (this.count === 0) return null;
    const v = this.data[(this.start + this.count - 1) % this.capacity]!;
    return Number.isNaN(v) ? null : v;
  }
}

/** CPU (% of one core) and resident memory (bytes) over time. */
export class UsageSeries {
  readonly cpu: Series;
  readonly rss: Series;
  constructor(capacity: number) {
    this.cpu = new Series(capacity);
    this.rss = new Series(capacity);
  }
  push(cpu: number | null, rss: number | null): void {
    this.cpu.push(cpu);
    this.rss.push(rss);
  }
  toJSON(n?: number): { cpu: (number | null)[]; rss: (number | null)[] } {
    return { cpu: this.cpu.values(n), rss: this.rss.values(n) };
  }
}
