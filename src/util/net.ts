// Address facts shared by the config check of `[circus] httpd_host` and the web console's own bind check.

/**
 * True when `host` names only this machine: `localhost` (and `*.localhost`), 127.0.0.0/8, ::1 and
 * ::ffff:127.x. Any other name could resolve to a reachable address, so it does not count.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && v4[1] === "127" && v4.slice(2).every((o) => Number(o) <= 255);
}
