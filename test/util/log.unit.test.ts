import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { getLogger, type LogSink, parseLogLevel, setLogLevel, setLogSink } from "../../src/util/log.ts";

const lines: string[] = [];
let previousSink: LogSink;
beforeEach(() => {
  previousSink = setLogSink((line) => lines.push(line));
});
afterEach(() => {
  setLogSink(previousSink);
  setLogLevel("info");
  lines.length = 0;
});

describe("log levels", () => {
  test("names parse in any case, warn is warning, anything else is refused", () => {
    expect(parseLogLevel(" DEBUG ")).toBe("debug");
    expect(parseLogLevel("warn")).toBe("warning");
    expect(parseLogLevel("Critical")).toBe("critical");
    for (const bad of ["verbose", "", "constructor", "toString", "__proto__"]) expect(parseLogLevel(bad)).toBeNull();
  });

  test("a logger writes lines at or above the level, named and levelled", () => {
    setLogLevel("warning");
    const log = getLogger("circus.test");
    log.info("hidden");
    log.warning("shown");
    log.error("also shown");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d circus\\.test\\[${process.pid}\\] \\[WARNING\\] shown$`),
    );
    expect(lines[1]).toEndWith("[ERROR] also shown");
  });
});
