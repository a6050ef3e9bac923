import { describe, expect, test } from "bun:test";
import { didYouMean, editDistance, suggest, suggestions } from "../../src/config/suggest.ts";

describe("suggest", () => {
  const known = ["numprocesses", "uid", "gid", "working_dir", "graceful_timeout"];

  test("edit distance counts insertions, deletions and substitutions", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  test("a key within two edits of a known option gets that option", () => {
    expect(suggest("numprocess", known)).toBe("numprocesses");
    expect(suggest("graceful_timout", known)).toBe("graceful_timeout");
  });

  test("a key that differs only in case is always suggested", () => {
    expect(suggest("WORKING_DIR", known)).toBe("working_dir");
  });

  test("known keys and far-away keys get no suggestion", () => {
    expect(suggest("numprocesses", known)).toBeNull();
    expect(suggest("my_custom_flag", known)).toBeNull();
  });

  test("short keys need to be within one edit", () => {
    expect(suggest("pid", known)).toBe("uid");
    expect(suggest("abc", known)).toBeNull();
  });
});

describe("suggestions with swaps and ties", () => {
  const commands = ["stats", "start", "status", "stop", "list", "listen", "listsockets", "dstats", "signal"];

  test("two swapped neighbouring letters count as one edit", () => {
    expect(editDistance("stauts", "status")).toBe(1);
    expect(editDistance("deamon", "daemon")).toBe(1);
  });

  test("a swap is offered first among equally close names", () => {
    expect(suggestions("stauts", commands)).toEqual(["status", "stats"]);
  });

  test("every name at the best distance is offered, and with prefixes the names an abbreviation starts", () => {
    expect(suggestions("stat", commands)).toEqual(["stats", "start"]);
    expect(suggestions("stat", commands, { prefixes: true })).toEqual(["stats", "start", "status"]);
  });

  test("didYouMean lists ties as a sentence, or says nothing", () => {
    expect(didYouMean("stat", commands, { prefixes: true })).toBe('did you mean "stats", "start" or "status"?');
    expect(didYouMean("stauts", commands)).toBe('did you mean "status" or "stats"?');
    expect(didYouMean("zzzzzz", commands)).toBe("");
    expect(didYouMean("filenme", ["filename", "max_bytes"], { show: (n) => `stdout_stream.${n}` })).toBe(
      "did you mean stdout_stream.filename?",
    );
  });
});
