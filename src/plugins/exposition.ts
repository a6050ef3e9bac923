// The Prometheus text exposition format (version 0.0.4): families with HELP and TYPE lines, samples
// with escaped label values. https://prometheus.io/docs/instrumenting/exposition_formats/

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge";

/** A metric family: its name, type and help, then any number of labelled samples. */
export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  /** The label names its samples carry (documentation; samples give the values). */
  labels?: readonly string[];
}

export type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Builds one exposition body; families appear in the order they are first written. */
export class ExpositionWriter {
  private readonly parts: string[] = [];
  private readonly started = new Set<string>();

  /** Write one sample of `family` (its HELP/TYPE lines come before its first sample). */
  sample(family: MetricFamily, labels: Labels | null, value: number): void {
    if (!this.started.has(family.name)) this.begin(family);
    let line = family.name;
    if (labels) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      if (pairs.length) line += `{${pairs.join(",")}}`;
    }
    this.parts.push(`${line} ${formatValue(value)}\n`);
  }

  /** Declare a family even when it has no sample yet (so dashboards see it exists). */
  begin(family: MetricFamily): void {
    if (this.started.has(family.name)) return;
    this.started.add(family.name);
    this.parts.push(`# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`);
  }

  text(): string {
    return this.parts.join("");
  }
}
