// POSIX path helpers with node:path's semantics, for the modules the daemon loads: importing node:path
// costs ~2.7 MB RSS in the compiled binary (its builtin module), these few functions cost nothing.
// scripts/check-imports.ts fails CI when a static node:* import becomes reachable from the daemon's entry.

export const sep = "/";

/** Collapse `.`, `..` and repeated slashes; `..` above the root of an absolute path is dropped. */
function normalizeSegments(path: string, absolute: boolean): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  return out.join("/");
}

/** node's path.normalize: keeps a trailing slash, "" → ".". */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  let body = normalizeSegments(path, absolute);
  if (body === "" && !absolute) body = ".";
  if (body !== "" && trailing) body += "/";
  return absolute ? `/${body}` : body;
}

export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Join the non-empty segments with "/" and normalise. */
export function join(...paths: string[]): string {
  const joined = paths.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The absolute path: segments right to left until one is absolute, then the cwd; no trailing slash. */
export function resolve(...paths: string[]): string {
  let resolved = "";
  for (let i = paths.length - 1; i >= 0 && !resolved.startsWith("/"); i--) {
    const p = paths[i]!;
    if (p !== "") resolved = resolved === "" ? p : `${p}/${resolved}`;
  }
  if (!resolved.startsWith("/")) resolved = resolved === "" ? process.cwd() : `${process.cwd()}/${resolved}`;
  return `/${normalizeSegments(resolved, true)}`;
}

/** Everything before the last segment, as node computes it: "/a/b/" → "/a", "a" → ".", "/" → "/". */
export function dirname(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  let end = -1;
  let inTrailingSlashes = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") inTrailingSlashes = false;
    else if (!inTrailingSlashes) {
      end = i;
      break;
    }
  }
  if (end === -1) return rooted ? "/" : ".";
  if (rooted && end === 1) return "//";
  return path.slice(0, end);
}

/** The last segment (trailing slashes ignored), minus `ext` when it ends with it. */
export function basename(path: string, ext?: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  const base = path.slice(path.lastIndexOf("/", end - 1) + 1, end);
  return ext && base.endsWith(ext) ? base.slice(0, base.length - ext.length) : base;
}

/** The extension from the last "." of the last segment; "" for dotfiles, "..", and names without one. */
export function extname(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  return dot <= 0 || base === ".." ? "" : base.slice(dot);
}
