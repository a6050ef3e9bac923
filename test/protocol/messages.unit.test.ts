import { describe, expect, test } from "bun:test";
import { encodeReply, errorReply, isBadRequest, okReply, parseRequest } from "../../src/protocol/messages.ts";

describe("parseRequest", () => {
  test("a circusctl request parses with the command lower-cased and properties kept", () => {
    const r = parseRequest('{"id":"abc","command":"LIST","properties":{"name":"web"}}');
    expect(isBadRequest(r)).toBe(false);
    if (isBadRequest(r)) return;
    expect(r.id).toBe("abc");
    expect(r.command).toBe("list");
    expect(r.properties).toEqual({ name: "web" });
    expect(r.cast).toBe(false);
  });

  test("missing properties default to an empty object and a missing id to null", () => {
    const r = parseRequest(new TextEncoder().encode('{"command":"list"}'));
    if (isBadRequest(r)) throw new Error("bad");
    expect(r.properties).toEqual({});
    expect(r.id).toBeNull();
  });

  test("msg_type cast marks the request fire-and-forget", () => {
    const r = parseRequest('{"command":"incr","properties":{"name":"x"},"msg_type":"cast"}');
    if (isBadRequest(r)) throw new Error("bad");
    expect(r.cast).toBe(true);
  });

  test("invalid JSON is errno 1 json invalid with a null id", () => {
    const r = parseRequest("{nope");
    if (!isBadRequest(r)) throw new Error("parsed");
    expect(r.error.errno).toBe(1);
    expect(r.error.reason).toBe("json invalid");
    expect(r.id).toBeNull();
  });

  test("an empty body, invalid UTF-8 and a non-object are errno 1", () => {
    for (const body of ["", "  ", new Uint8Array([0xff, 0xfe]), "[1,2]", "42", "null", '"str"']) {
      const r = parseRequest(body);
      if (!isBadRequest(r)) throw new Error(`parsed ${String(body)}`);
      expect(r.error.errno).toBe(1);
    }
  });

  test("a missing or non-string command is errno 3 naming 'command', keeping the id", () => {
    for (const body of ['{"id":"x"}', '{"id":"x","command":7}', '{"id":"x","command":""}']) {
      const r = parseRequest(body);
      if (!isBadRequest(r)) throw new Error("parsed");
      expect(r.error.errno).toBe(3);
      expect(r.error.reason).toContain("'command'");
      expect(r.id).toBe("x");
    }
  });

  test("properties that are not an object are errno 3", () => {
    const r = parseRequest('{"command":"list","properties":[1]}');
    if (!isBadRequest(r)) throw new Error("parsed");
    expect(r.error.errno).toBe(3);
    expect(r.error.reason).toContain("'properties'");
  });
});

describe("envelopes", () => {
  test("an ok reply carries status, a float epoch time, the echoed id and the result fields", () => {
    const before = Date.now() / 1000;
    const r = okReply("id-1", { watchers: ["a"] });
    expect(r.status).toBe("ok");
    expect(r.id).toBe("id-1");
    expect(r.time).toBeGreaterThanOrEqual(before - 0.001);
    expect(r.watchers).toEqual(["a"]);
  });

  test("a result status overwrites the envelope status, as Circus's dict.update does", () => {
    expect(okReply("x", { status: "active" }).status).toBe("active");
  });

  test("undefined result fields are left out", () => {
    expect(Object.keys(okReply(null, { info: undefined }))).toEqual(["status", "time", "id"]);
  });

  test("an error reply has exactly Circus's fields", () => {
    const r = errorReply(null, 2, "unknown command: 'x'");
    expect(Object.keys(r).sort()).toEqual(["errno", "id", "reason", "status", "tb", "time"]);
    expect(r).toMatchObject({ status: "error", reason: "unknown command: 'x'", tb: null, errno: 2, id: null });
  });

  test("encodeReply produces one UTF-8 JSON frame", () => {
    const bytes = encodeReply(okReply("é", { a: 1 }));
    expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({ status: "ok", id: "é", a: 1 });
  });
});
