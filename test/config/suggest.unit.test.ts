import { describe, expect, test } from "bun:test";
import { editDistance, suggest } from "../../src/config/suggest.ts";

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
