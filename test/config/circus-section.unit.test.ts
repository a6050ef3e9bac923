import { describe, expect, test } from "bun:test";
import { loadText, problemsOf, warningsOf } from "./fixture.ts";

const W = "[watcher:w]\ncmd = sleep 60\n";

describe("[circus] section", () => {
  test("a config without [circus] gets every Circus default plus ours", async () => {
    const c = await loadText(W);
    expect(c.circus).toEqual({
      endpoint: "tcp://127.0.0.1:5555",
      endpoint_owner: null,
      pubsub_endpoint: "tcp://127.0.0.1:5556",
      multicast_endpoint: "",
      multicast_interface: "127.0.0.1",
      stats_endpoint: "tcp://127.0.0.1:5557",
      statsd: false,
      check_delay: 5,
      warmup_delay: 0,
      httpd: false,
      httpd_host: "localhost",
      httpd_port: 8080,
      httpd_auth_file: null,
      httpd_token_file: null,
      debug: false,
      pidfile: null,
      umask: null,
      loglevel: "info",
      logoutput: "-",
      loggerconfig: null,
      fqdn_prefix: null,
      tail_lines: 1000,
      output_prefix: false,
      hooks_timeout: 30,
      curve_secret_key: null,
      curve_authorized_keys: null,
      insecure: false,
      exit_on_failure: false,
      health: null,
    });
  });

  test("options are typed: floats, ints, bools and an octal umask", async () => {
    const c = await loadText(
      "[circus]\ncheck_delay = 0.5\nwarmup_delay = 2\ndebug = yes\numask = 027\nhttpd_port = 9000\ntail_lines = 50\nhooks_timeout = 2.5\n" +
        W,
    );
    expect(c.circus.check_delay).toBe(0.5);
    expect(c.circus.warmup_delay).toBe(2);
    expect(c.circus.debug).toBe(true);
    expect(c.circus.umask).toBe(0o27);
    expect(c.circus.httpd_port).toBe(9000);
    expect(c.circus.tail_lines).toBe(50);
    expect(c.circus.hooks_timeout).toBe(2.5);
  });

  test("check_delay = -1 and 0 are accepted, as Circus accepts them (13 of its own test configs use -1)", async () => {
    expect((await loadText("[circus]\ncheck_delay = -1\n" + W)).circus.check_delay).toBe(-1);
    expect((await loadText("[circus]\ncheck_delay = 0\n" + W)).circus.check_delay).toBe(0);
  });

  test("an empty multicast_endpoint disables discovery", async () => {
    expect((await loadText("[circus]\nmulticast_endpoint =\n" + W)).circus.multicast_endpoint).toBe("");
  });

  test("$(circus.env.X) is substituted from [env] over the daemon environment", async () => {
    const c = await loadText(
      "[circus]\nendpoint = tcp://$(circus.env.HOST):$(circus.env.PORT)\n[env]\nPORT = 7000\n" + W,
      {
        environ: { HOST: "10.0.0.1", PORT: "1" },
      },
    );
    expect(c.circus.endpoint).toBe("tcp://10.0.0.1:7000");
  });

  test("setting stats_endpoint turns statsd on, with warnings", async () => {
    const c = await loadText("[circus]\nstats_endpoint = tcp://127.0.0.1:6000\n" + W);
    expect(c.circus.statsd).toBe(true);
    expect(c.warnings.map((w) => w.message).join("\n")).toContain(
      "stats_endpoint: setting stats_endpoint turns statsd on",
    );
  });

  test("debug_gc is accepted with a warning instead of aborting; statsd and httpd are supported", async () => {
    const warnings = await warningsOf("[circus]\nhttpd = true\nstatsd = true\ndebug_gc = true\n" + W);
    expect(warnings.some((w) => w.startsWith("circus.httpd"))).toBe(false);
    expect(warnings.some((w) => w.startsWith("circus.statsd"))).toBe(false);
    expect(warnings.some((w) => w.startsWith("circus.debug_gc: "))).toBe(true);
  });

  test("httpd on a non-loopback host without a users or token file is refused with its line", async () => {
    expect(await problemsOf("[circus]\nhttpd = true\nhttpd_host = 0.0.0.0\n" + W)).toEqual([
      'circus.ini:3: circus.httpd_host: "0.0.0.0" is not a loopback address and the web console has no login; ' +
        "set httpd_auth_file (users) or httpd_token_file, or httpd_host = 127.0.0.1",
    ]);
    const withToken = await loadText("[circus]\nhttpd = true\nhttpd_host = 0.0.0.0\nhttpd_token_file = token\n" + W);
    expect(withToken.circus.httpd_host).toBe("0.0.0.0");
    expect((await loadText("[circus]\nhttpd = true\nhttpd_host = ::1\n" + W)).circus.httpd_host).toBe("::1");
    const c = await loadText("[circus]\nhttpd_auth_file = users\nhttpd_token_file = tok\n" + W);
    expect([c.circus.httpd_auth_file, c.circus.httpd_token_file]).toEqual(["users", "tok"]);
  });

  test("unknown keys are ignored with a warning and a suggestion when close", async () => {
    const warnings = await warningsOf("[circus]\nendpont = tcp://127.0.0.1:1\nstream_backend = thread\n" + W);
    expect(warnings).toContain('circus.endpont: unknown [circus] option, ignored; did you mean "endpoint"?');
    expect(warnings).toContain("circus.stream_backend: documented by Circus but never read by Circus 0.19; ignored");
  });

  test("a bad bool, float or umask is a problem with its line", async () => {
    expect(await problemsOf("[circus]\ndebug = maybe\ncheck_delay = soon\numask = 099\n" + W)).toEqual([
      'circus.ini:2: circus.debug: "maybe" is not a boolean, expected true/false, yes/no, on/off or 1/0',
      'circus.ini:3: circus.check_delay: "soon" is not a number, expected a number like 2.5',
      'circus.ini:4: circus.umask: "099" is not an octal number, expected a umask like 022',
    ]);
  });
});
