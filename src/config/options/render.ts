// How circusctl prints option values: Python's str() of the JSON value it received (`True`, `None`,
// `{'class': 'FileStream'}`), floats with a decimal point (`30.0`). Shared by every option kind.

/** Python's str() of a JSON value, as circusctl prints it. */
export function pythonStr(value: unknown): string {
  return typeof value === "string" ? value : pythonRepr(value);
}

/** Python's repr() of a JSON value. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\t", "\\t");
    return quote + (quote === "'" ? body.replaceAll("'", "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`,
  );
  return `{${entries.join(", ")}}`;
}

/** A number Python holds as a float: `30` prints as `30.0`. */
export function pythonFloat(value: unknown): string {
  if (typeof value !== "number") return pythonStr(value);
  return Number.isInteger(value) ? `${value}.0` : String(value);
}
