// User/group resolution against the real user database, including a throw-away user with extra groups.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolveGroup, resolveUser, supplementaryGroups, UnknownUserError } from "../../src/os/users.ts";

const suffix = `${process.pid % 100000}`;
const USER = `circusu${suffix}`;
const GROUPS = [`circusga${suffix}`, `circusgb${suffix}`];

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

beforeAll(() => {
  for (const g of GROUPS) run(["groupadd", g]);
  run(["useradd", "-M", "-N", "-g", "nogroup", "-G", GROUPS.join(","), "-d", "/nonexistent", USER]);
});

afterAll(() => {
  Bun.spawnSync(["userdel", USER]);
  for (const g of GROUPS) Bun.spawnSync(["groupdel", g]);
});

describe("resolveUser", () => {
  test("a user name resolves to uid, primary gid and home", () => {
    expect(resolveUser("nobody")).toEqual({ uid: 65534, gid: 65534, name: "nobody", home: "/nonexistent" });
  });

  test("a numeric uid, as number or string, resolves to the same user", () => {
    expect(resolveUser(0).name).toBe("root");
    expect(resolveUser("1").name).toBe("daemon");
  });

  test("an unknown user name is a typed error saying where it was looked up", () => {
    const err = (() => {
      try {
        resolveUser("nobodyx");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownUserError);
    expect((err as Error).message).toStartWith('unknown user "nobodyx" (not in /etc/passwd)');
  });

  test("a uid that no user has is rejected, as Circus does", () => {
    expect(() => resolveUser(4000123)).toThrow(/unknown user id 4000123/);
  });

  test("an id past 32 bits never wraps around to root: 4294967296 is out of range, not uid 0", () => {
    for (const id of [4294967296, "4294967296", 4294967295]) {
      expect(() => resolveUser(id)).toThrow(/user id 429496729\d is out of range/);
    }
    expect(() => resolveGroup(4294967296)).toThrow(/group id 4294967296 is out of range/);
    expect(() => resolveGroup("4294967296")).toThrow(/out of range/);
  });
});

describe("resolveGroup", () => {
  test("group names and numeric gids resolve to a gid", () => {
    expect(resolveGroup("nogroup")).toBe(65534);
    expect(resolveGroup(0)).toBe(0);
    expect(resolveGroup("4")).toBe(4);
  });

  test("an unknown group is a typed error naming /etc/group", () => {
    expect(() => resolveGroup("nogroupx")).toThrow('unknown group "nogroupx" (not in /etc/group)');
  });
});

describe("supplementaryGroups", () => {
  test("a user's groups include the primary gid and every group listing the user", () => {
    const user = resolveUser(USER);
    const expected = [65534, ...GROUPS.map((g) => resolveGroup(g))];
    expect(supplementaryGroups(USER, user.gid).sort()).toEqual(expected.sort());
  });

  test("a user in no extra group has just its primary gid", () => {
    expect(supplementaryGroups("nobody", 65534)).toEqual([65534]);
  });
});
