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
