import { describe, expect, test } from "bun:test";
import { Subscriptions } from "../../src/zmtp/subscriptions.ts";

const b = (s: string) => new TextEncoder().encode(s);

describe("subscriptions", () => {
  test("match by byte prefix; the empty prefix matches everything", () => {
    const s = new Subscriptions();
    s.add(b("watcher."));
    expect(s.matches(b("watcher.web.start"))).toBe(true);
    expect(s.matches(b("stats"))).toBe(false);
    s.add(b(""));
    expect(s.matches(b("stats"))).toBe(true);
  });

  test("are counted: two subscribes need two cancels", () => {
    const s = new Subscriptions();
    s.add(b("a"));
    s.add(b("a"));
    s.remove(b("a"));
    expect(s.matches(b("a1"))).toBe(true);
    s.remove(b("a"));
    expect(s.matches(b("a1"))).toBe(false);
    expect(s.remove(b("a"))).toBe(false);
  });

  test("replay every reference so counts can be rebuilt after a reconnect", () => {
    const s = new Subscriptions();
    s.add(b("x"));
    s.add(b("x"));
    s.add(b("y"));
    expect([...s.each()].map((p) => new TextDecoder().decode(p))).toEqual(["x", "x", "y"]);
  });
});

describe("subscriptions at scale", () => {
  test("50 000 distinct prefixes are added, matched and cancelled in linear time", () => {
    const s = new Subscriptions();
    const start = performance.now();
    for (let i = 0; i < 50_000; i++) s.add(b(`flood.${i}`));
    expect(s.size).toBe(50_000);
    for (let i = 0; i < 1000; i++) s.matches(b("watcher.web.spawn"));
    expect(s.matches(b("flood.49999.x"))).toBe(true);
    expect(s.matches(b("watcher.web.spawn"))).toBe(false);
    for (let i = 0; i < 50_000; i++) s.remove(b(`flood.${i}`));
    expect(s.size).toBe(0);
    // The old list took ~45 s for the adds alone (quadratic); a Map takes tens of milliseconds. The
    // bound leaves a loaded shared machine room while still catching a quadratic structure.
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  test("prefixes of many lengths still match by the topic's own prefixes", () => {
    const s = new Subscriptions();
    for (let n = 1; n <= 40; n++) s.add(b("z".repeat(n)));
    s.add(b("watcher.web."));
    expect(s.matches(b("watcher.web.spawn"))).toBe(true);
    expect(s.matches(b("watcher.api.spawn"))).toBe(false);
    expect(s.matches(b("zzz"))).toBe(true);
    s.add(b(""));
    expect(s.matches(b("anything"))).toBe(true);
  });

  test("limits refuse a new prefix past the count or the bytes, but still count repeats of known ones", () => {
    const s = new Subscriptions({ maxPrefixes: 3, maxBytes: 10 });
    expect([s.add(b("a")), s.add(b("b")), s.add(b("c")), s.add(b("d"))]).toEqual([true, true, true, false]);
    expect(s.add(b("a"))).toBe(true);
    s.remove(b("b"));
    expect(s.add(b("0123456789"))).toBe(false); // 1 + 1 + 10 bytes > 10
    expect(s.add(b("01234567"))).toBe(true);
    expect(s.matches(b("d"))).toBe(false);
  });
});

test("every byte value is its own: prefixes differing only in bytes 0x80–0xff do not match each other", () => {
  const s = new Subscriptions();
  for (let v = 0; v < 256; v += 2) s.add(new Uint8Array([v, 1]));
  for (let v = 0; v < 256; v++) expect(s.matches(new Uint8Array([v, 1, 9]))).toBe(v % 2 === 0);
  for (let n = 3; n < 40; n++) s.add(new Uint8Array(n).fill(0x81));
  expect(s.matches(new Uint8Array(45).fill(0x81))).toBe(true);
  expect(s.matches(new Uint8Array([0x81, 0x81, 0x8d]))).toBe(false);
});
