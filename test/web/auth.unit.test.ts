// Credentials, roles, sessions and escaping of the web console, without a server.

import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  addUser,
  AuthFileError,
  Authenticator,
  loadToken,
  loadUsers,
  parseUsers,
  sameSecret,
} from "../../src/web/auth.ts";
import { escapeHtml, html } from "../../src/web/html.ts";
import { shellPage } from "../../src/web/pages.ts";
import { authorize, ConsoleRefusal, editableOptions, roleForSetKey } from "../../src/web/roles.ts";
import { safeNext } from "../../src/web/http.ts";
import { SessionStore } from "../../src/web/sessions.ts";
import { tempDir as freshDir } from "../helpers/temp.ts";

const tempDir = () => freshDir("circus-web-auth-");

function refusal(f: () => unknown): ConsoleRefusal {
  try {
    f();
  } catch (err) {
    if (err instanceof ConsoleRefusal) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("users file", () => {
  test("--add-user's writer creates a 0600 file that loads back, and updates a user in place", async () => {
    const file = join(tempDir(), "users");
    expect(await addUser(file, "alice", "admin", "correct horse")).toBe("added");
    expect(await addUser(file, "bob", "read", "battery staple")).toBe("added");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await addUser(file, "bob", "operate", "new password!")).toBe("updated");
    const users = loadUsers(file);
    expect([...users.values()].map((u) => `${u.name}:${u.role}`)).toEqual(["alice:admin", "bob:operate"]);
    expect(readFileSync(file, "utf8")).toStartWith("# circus web users");
    const auth = new Authenticator(users, null);
    expect(await auth.checkPassword("bob", "new password!")).toEqual({ user: "bob", role: "operate" });
    expect(await auth.checkPassword("bob", "battery staple")).toBeNull();
    expect(await auth.checkPassword("nobody", "new password!")).toBeNull();
  });

  test("mistakes name the file, the line and the fix", () => {
    const hash = "$argon2id$v=19$m=19456,t=2,p=1$abc$def";
    expect(() => parseUsers(`alice:admin:${hash}\nbob:boss:${hash}\n`, "users")).toThrow(
      'users:2: role "boss" is not read, operate or admin',
    );
    expect(() => parseUsers("carol:read:plaintext\n", "users")).toThrow(
      'users:1: the hash of "carol" is not an argon2 or bcrypt hash; set it with `circus web --add-user carol`',
    );
    expect(() => parseUsers("just-a-name\n", "users")).toThrow('users:1: expected name:role:hash, got "just-a-name"');
    expect(() => parseUsers(`a b:read:${hash}\n`, "users")).toThrow("may hold only letters");
    expect(() => parseUsers(`x:read:${hash}\nx:admin:${hash}\n`, "users")).toThrow('users:2: user "x" is listed twice');
  });

  test("a users file anyone may write is refused, and so is an empty one", () => {
    const file = join(tempDir(), "users");
    writeFileSync(file, "# nobody\n");
    expect(() => loadUsers(file)).toThrow("lists no user");
    chmodSync(file, 0o666);
    expect(() => loadUsers(file)).toThrow(`users file ${file} is writable by every user; run chmod o-w ${file}`);
    expect(() => loadUsers(join(tempDir(), "missing"))).toThrow("ENOENT");
  });

  test("short passwords and odd names are refused by --add-user's writer", async () => {
    const file = join(tempDir(), "users");
    await expect(addUser(file, "alice", "admin", "short")).rejects.toThrow(AuthFileError);
    await expect(addUser(file, "al:ice", "admin", "long enough")).rejects.toThrow("may hold only letters");
  });
});

describe("token file", () => {
  test("the first line that is not a comment is the token; it logs in as admin", () => {
    const file = join(tempDir(), "token");
    writeFileSync(file, "# the console token\n0123456789abcdef0123\n", { mode: 0o600 });
    const token = loadToken(file);
    expect(token).toBe("0123456789abcdef0123");
    const auth = new Authenticator(new Map(), token);
    expect(auth.required).toBe(true);
    expect(auth.checkToken("0123456789abcdef0123")).toEqual({ user: "token", role: "admin" });
    expect(auth.checkToken("0123456789abcdef012")).toBeNull();
  });

  test("a short token, or one every user may read, is refused with the fix", () => {
    const file = join(tempDir(), "token");
    writeFileSync(file, "short\n", { mode: 0o600 });
    expect(() => loadToken(file)).toThrow("at least 16 characters");
    writeFileSync(file, "0123456789abcdef0123\n");
    chmodSync(file, 0o644);
    expect(() => loadToken(file)).toThrow(`run chmod 600 ${file}`);
  });

  test("secrets compare equal only when equal", () => {
    expect(sameSecret("abc", "abc")).toBe(true);
    expect(sameSecret("abc", "abd")).toBe(false);
    expect(sameSecret("abc", "abcd")).toBe(false);
    expect(sameSecret("", "")).toBe(true);
  });
});

describe("roles", () => {
  test("read may send nothing; operate acts on watchers; only admin adds, removes or changes what runs", () => {
    expect(refusal(() => authorize("read", "start", { name: "web" })).status).toBe(403);
    expect(authorize("operate", "incr", { name: "web", nb: 1 })).toEqual({ name: "web", nb: 1 });
    expect(authorize("operate", "set", { name: "web", options: { numprocesses: 3, graceful_timeout: 2 } })).toEqual({
      name: "web",
      options: { numprocesses: 3, graceful_timeout: 2 },
    });
    for (const key of ["cmd", "args", "env", "uid", "gid", "working_dir", "hooks.after_start", "stdout_stream.class"]) {
      const r = refusal(() => authorize("operate", "set", { name: "web", options: { [key]: "x" } }));
      expect(r.status).toBe(403);
      expect(r.message).toBe(`changing '${key}' needs the admin role; you have operate`);
      expect(authorize("admin", "set", { name: "web", options: { [key]: "x" } })).toBeDefined();
    }
    expect(refusal(() => authorize("operate", "add", { name: "x", cmd: "sleep 1" })).status).toBe(403);
    expect(refusal(() => authorize("operate", "rm", { name: "x" })).status).toBe(403);
    expect(authorize("admin", "add", { name: "x", cmd: "sleep 1" })).toEqual({ name: "x", cmd: "sleep 1" });
  });

  test("what an operator may set comes from the watcher table's tuning keys; a page edits what options lists and set applies", () => {
    const tuning = [
      "numprocesses",
      "warmup_delay",
      "graceful_timeout",
      "send_hup",
      "stop_signal",
      "stop_children",
      "max_age",
      "max_age_variance",
    ];
    for (const key of tuning) expect({ key, role: roleForSetKey(key) }).toEqual({ key, role: "operate" });
    for (const key of ["singleton", "respawn", "hooks", "toString", "__proto__", "constructor", "no_such_key"])
      expect({ key, role: roleForSetKey(key) }).toEqual({ key, role: "admin" });
    const admin = ["cmd", "args", "shell", "working_dir", "uid", "gid", "env"];
    const expected = [...tuning.map((k) => `${k}:operate`), ...admin.map((k) => `${k}:admin`)];
    expect(Object.entries(editableOptions()).map(([k, role]) => `${k}:${role}`)).toEqual(
      expect.arrayContaining(expected),
    );
    expect(Object.keys(editableOptions())).toHaveLength(expected.length);
  });

  test("quit and unnamed actions are never sent; start/stop/restart match the name exactly", () => {
    expect(refusal(() => authorize("admin", "quit", {})).message).toBe("the console does not send 'quit'");
    expect(refusal(() => authorize("admin", "restart", {})).message).toBe("'restart' needs a watcher name");
    expect(authorize("operate", "stop", { name: "*" })).toEqual({ name: "*", match: "simple" });
    expect(authorize("operate", "restart", { name: "w", match: "glob" })).toEqual({ name: "w", match: "simple" });
  });
});

describe("sessions", () => {
  test("a session ends after its idle time, and after its lifetime however busy", () => {
    let now = 1_000_000;
    const store = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, now: () => now });
    const s = store.create({ user: "alice", role: "admin" });
    expect(store.get(s.id)).toBe(s);
    now += 900;
    store.touch(s);
    now += 900;
    expect(store.get(s.id)).toBe(s);
    now += 1001;
    expect(store.get(s.id)).toBeNull();
    const busy = store.create(null);
    for (let i = 0; i < 6; i++) {
      now += 900;
      store.touch(busy);
    }
    expect(store.get(busy.id)).toBeNull();
    expect(store.get("forged")).toBeNull();
  });

  test("ids and CSRF tokens are 256 random bits, different every time", () => {
    const store = new SessionStore();
    const a = store.create(null);
    const b = store.create(null);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([a.id, a.csrf, b.id, b.csrf]).size).toBe(4);
  });
});

describe("escaping and redirects", () => {
  test("html escapes every interpolated value, in text and attributes", () => {
    const name = `<img src=x onerror="alert(1)">'&`;
    expect(escapeHtml(name)).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;");
    expect(html`<p title="${name}">${name}</p>`.text).toBe(
      '<p title="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;</p>',
    );
    expect(html`<b>${html`<i>${"<x>"}</i>`}</b>`.text).toBe("<b><i>&lt;x&gt;</i></b>");
  });

  test("a page's embedded snapshot cannot end its script element, whatever the daemon says", () => {
    const evil = "</script><script>alert(1)</script><!--";
    const page = shellPage({
      page: "dashboard",
      title: evil,
      csrf: "t",
      user: evil,
      role: "admin",
      loginRequired: true,
      snapshot: JSON.stringify({ watchers: [{ name: evil }] }),
    });
    expect(page.match(/<\/script>/g)?.length).toBe(2); // the module's and the snapshot's own
    expect(page).not.toContain("<script>alert");
    const data = /<script type="application\/json" id="snapshot">(.*?)<\/script>/s.exec(page)![1]!;
    expect(JSON.parse(data).watchers[0].name).toBe(evil);
  });

  test("after the login only a local path is followed", () => {
    expect(safeNext("/watchers/web")).toBe("/watchers/web");
    for (const bad of ["//evil.example/", "https://evil.example/", "/\\evil.example", "", null, "javascript:x"])
      expect(safeNext(bad)).toBe("/");
  });
});
