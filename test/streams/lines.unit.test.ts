import { describe, expect, test } from "bun:test";
import { LineSplitter } from "../../src/streams/lines.ts";
import { strftime } from "../../src/streams/strftime.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

describe("LineSplitter", () => {
  test("holds a partial line until its newline arrives and flushes the rest at EOF", () => {
    const s = new LineSplitter();
    expect(dec(s.push(enc("ab")))).toBe(null);
    expect(dec(s.push(enc("c\nd")))).toBe("abc\n");
    expect(dec(s.push(enc("e\nf\ng")))).toBe("de\nf\n");
    expect(s.pendingBytes).toBe(1);
    expect(dec(s.end())).toBe("g");
    expect(s.end()).toBe(null);
  });

  test("a line longer than the cap is passed on in pieces to bound memory", () => {
    const s = new LineSplitter(8);
    expect(dec(s.push(enc("12345")))).toBe(null);
    expect(dec(s.push(enc("6789")))).toBe("123456789");
    expect(s.pendingBytes).toBe(0);
  });

  test("the pending copy survives the caller reusing its chunk buffer", () => {
    const s = new LineSplitter();
    const chunk = enc("x\nyz");
    s.push(chunk);
    chunk.fill(0);
    expect(dec(s.end())).toBe("yz");
  });

  test("feed sends a completed held-back line on its own and the chunk's other lines as a view, not a copy", () => {
    const s = new LineSplitter();
    const pieces: Uint8Array[] = [];
    s.feed(enc("ab"), (p) => pieces.push(p));
    const chunk = enc("c\nd\ne\nf");
    s.feed(chunk, (p) => pieces.push(p));
    expect(pieces.map(dec)).toEqual(["abc\n", "d\ne\n"]);
    expect(pieces[1]!.buffer).toBe(chunk.buffer);
    expect(dec(s.end())).toBe("f");
  });
});

describe("strftime", () => {
  test("formats the Circus-relevant codes in UTC", () => {
    const t = Date.UTC(2024, 1, 29, 5, 6, 7, 89);
    expect(strftime("%Y-%m-%d %H:%M:%S.%f %z %a %A %b %B %j %y %I%p %e %%", t, true)).toBe(
      "2024-02-29 05:06:07.089000 +0000 Thu Thursday Feb February 060 24 05AM 29 %",
    );
  });
});
