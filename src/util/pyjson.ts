// JSON text exactly as Python's `json.dumps` writes it with its defaults: `", "` and `": "` between
// items, every character outside printable ASCII escaped as \uXXXX, and floats as Python's repr
// (`30.0`, `1e-05`, `1.5e+16`). A JSON number carries no int/float distinction, so the caller says
// which numbers are floats; an integral number elsewhere is written as an int.

/**
 * Whether the number at `path` is a float. `path` holds the object keys from the root; an array
 * element adds "[]" (so a float key never applies to a list of ids under that key).
 */
export type FloatRule = (path: readonly string[]) => boolean;

const NO_FLOATS: FloatRule = () => false;

/** `value` as Python's json.dumps writes it; undefined object values are left out, as JSON.stringify does. */
export function pyJsonDumps(value: unknown, isFloat: FloatRule = NO_FLOATS): string {
  return write(value, [], isFloat);
}

function write(value: unknown, path: string[], isFloat: FloatRule): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") {
    return Number.isInteger(value) && !isFloat(path) && Math.abs(value) < 1e21 ? String(value) : pyFloatRepr(value);
  }
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) {
    path.push("[]");
    const items = value.map((item) => write(item, path, isFloat));
    path.pop();
    return `[${items.join(", ")}]`;
  }
  if (typeof value === "object") {
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      path.push(key);
      parts.push(`${pyString(key)}: ${write(item, path, isFloat)}`);
      path.pop();
    }
    return `{${parts.join(", ")}}`;
  }
  return "null";
}

/** Python's repr of a float: shortest round-trip digits, `.0` on whole numbers, exponent below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() without digits gives the shortest digits that round-trip, as Python's repr does.
  const [mantissa, exponentText] = x.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
    return `${sign}${whole}.${digits.slice(exponent + 1) || "0"}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** A string as json.dumps writes it with ensure_ascii: outside ' '…'~' everything is \uXXXX (UTF-16 units). */
function pyString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    if (Object.hasOwn(SHORT_ESCAPES, ch)) out += SHORT_ESCAPES[ch];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
