// TimedRotatingFileStream: rename app.log → app.log.<suffix> every interval (S, M, H, D, MIDNIGHT, W0–W6,
// any case), keeping backup_count of them. Rotation is decided when an entry is queued, so it always
// falls between lines.

import { inPinnedDirectory, type PinnedDirectory } from "../os/fs.ts";
import { nodeFs } from "../util/node.ts";
import { basename, dirname } from "../util/path.ts";
import { StreamConfigError } from "./errors.ts";
import { FileStream, type FileStreamOptions } from "./file.ts";
import { strftime } from "./strftime.ts";

const DAY_MS = 86_400_000;

const UNITS = {
  S: { ms: 1000, suffix: "%Y%m%d%H%M%S" },
  M: { ms: 60_000, suffix: "%Y%m%d%H%M" },
  H: { ms: 3_600_000, suffix: "%Y%m%d%H" },
  D: { ms: DAY_MS, suffix: "%Y%m%d" },
  MIDNIGHT: { ms: DAY_MS, suffix: "%Y%m%d" },
  W: { ms: 7 * DAY_MS, suffix: "%Y%m%d" },
} as const;

export interface RotateSchedule {
  unit: keyof typeof UNITS;
  /** Weekday for W0–W6, 0 = Monday (Python's numbering). */
  weekday: number;
  interval: number;
  utc: boolean;
}

/** Parse `rotate_when` in any case; throws naming the accepted values. */
export function parseRotateWhen(text: string | undefined): Pick<RotateSchedule, "unit" | "weekday"> {
  const when = (text ?? "").trim().toUpperCase();
  if (Object.hasOwn(UNITS, when) && when !== "W") return { unit: when as keyof typeof UNITS, weekday: 0 };
  const weekly = /^W([0-6])$/.exec(when);
  if (weekly) return { unit: "W", weekday: Number(weekly[1]) };
  const shown = text === undefined ? "missing" : JSON.stringify(text);
  throw new StreamConfigError(`rotate_when: ${shown}; use S, M, H, D, MIDNIGHT or W0–W6 (W0 = Monday), any case`);
}

/** Epoch ms of the first rollover strictly after `fromMs`. */
export function nextRollover(s: RotateSchedule, fromMs: number): number {
  if (s.unit !== "MIDNIGHT" && s.unit !== "W") return fromMs + UNITS[s.unit].ms * s.interval;
  let midnight = nextMidnight(fromMs, s.utc);
  if (s.unit === "MIDNIGHT") return addDays(midnight, s.interval - 1, s.utc);
  while (pythonWeekday(midnight, s.utc) !== s.weekday) midnight = addDays(midnight, 1, s.utc);
  return addDays(midnight, 7 * (s.interval - 1), s.utc);
}

/** The start of the interval that ends at `rolloverMs`, as the file-name suffix. */
export function rolloverSuffix(s: RotateSchedule, rolloverMs: number): string {
  const startMs =
    s.unit === "MIDNIGHT"
      ? addDays(rolloverMs, -s.interval, s.utc)
      : s.unit === "W"
        ? addDays(rolloverMs, -7 * s.interval, s.utc)
        : rolloverMs - UNITS[s.unit].ms * s.interval;
  return strftime(UNITS[s.unit].suffix, startMs, s.utc);
}

function nextMidnight(ms: number, utc: boolean): number {
  const d = new Date(ms);
  return utc
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** Calendar days (DST-safe in local time). */
function addDays(ms: number, days: number, utc: boolean): number {
  if (days === 0) return ms;
  const d = new Date(ms);
  if (utc) return ms + days * DAY_MS;
  return new Date(
    d.getFullYear(),
    d.getMonth(),
    d.getDate() + days,
    d.getHours(),
    d.getMinutes(),
    d.getSeconds(),
  ).getTime();
}

function pythonWeekday(ms: number, utc: boolean): number {
  const d = new Date(ms);
  return ((utc ? d.getUTCDay() : d.getDay()) + 6) % 7;
}

export class TimedRotatingFileStream extends FileStream {
  override readonly kind: string = "TimedRotatingFileStream";
  private rolloverAt: number;

  constructor(
    options: FileStreamOptions,
    readonly schedule: RotateSchedule,
  ) {
    // The existing file's age counts (Circus): stat before opening creates it.
    const st = nodeFs().statSync(options.path, { throwIfNoEntry: false });
    super({ ...options, maxBytes: 0 });
    const from = schedule.unit === "MIDNIGHT" || schedule.unit === "W" || !st ? options.now() : st.mtimeMs;
    this.rolloverAt = nextRollover(schedule, from);
  }

  /** When the next rotation is due (epoch ms). */
  get nextRotation(): number {
    return this.rolloverAt;
  }

  protected override admit(data: Uint8Array): void {
    const now = this.options.now();
    if (this.regular && now >= this.rolloverAt) {
      const suffix = rolloverSuffix(this.schedule, this.rolloverAt);
      this.rolloverAt = nextRollover(this.schedule, now);
      this.size = 0;
      void this.queue.run(() => this.rotateTo(suffix));
    }
    this.append(data);
  }

  private async rotateTo(suffix: string): Promise<void> {
    await this.compressing;
    this.closeFd();
    const { path, backupCount, compress } = this.options;
    const target = `${path}.${suffix}`;
    const name = basename(path);
    try {
      // In the directory as it is, never through a link someone put in its place (see inPinnedDirectory).
      inPinnedDirectory(dirname(path), (dir) => {
        nodeFs().rmSync(dir.at(`${name}.${suffix}`), { force: true });
        nodeFs().rmSync(dir.at(`${name}.${suffix}.gz`), { force: true });
        try {
          nodeFs().renameSync(dir.at(name), dir.at(`${name}.${suffix}`));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
      });
    } catch (err) {
      this.queue.report(err);
      return; // the file stays closed; writeBatch retries opening it
    }
    this.openFile(false, false);
    if (compress) this.compressInBackground(target);
    if (backupCount > 0) {
      await this.compressing;
      this.removeOldBackups(suffix.length);
    }
  }

  /** Keep the newest backup_count files named `<file>.<digits of this unit>[.gz]`. */
  private removeOldBackups(digits: number): void {
    const dir = dirname(this.options.path);
    const base = basename(this.options.path);
    const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(\\d{${digits}})(\\.gz)?$`);
    inPinnedDirectory(dir, (pinned) => this.removeExpired(pinned, pattern));
  }

  private removeExpired(dir: PinnedDirectory, pattern: RegExp): void {
    const found = nodeFs()
      .readdirSync(dir.at("."))
      .map((name) => ({ name, match: pattern.exec(name) }))
      .filter((f) => f.match !== null)
      .sort((a, b) => a.match![1]!.localeCompare(b.match![1]!));
    const suffixes = [...new Set(found.map((f) => f.match![1]!))];
    const expired = new Set(suffixes.slice(0, Math.max(0, suffixes.length - this.options.backupCount)));
    for (const f of found) if (expired.has(f.match![1]!)) nodeFs().rmSync(dir.at(f.name), { force: true });
  }
}
