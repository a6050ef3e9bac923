import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createStream } from "../../src/streams/create.ts";
import { nextRollover, parseRotateWhen, rolloverSuffix, TimedRotatingFileStream } from "../../src/streams/timed.ts";
import { entry, tempDir } from "./helpers.ts";

describe("TimedRotatingFileStream", () => {
  test("rotates when the injected clock passes the interval, naming files by the interval's start", async () => {
    const dir = tempDir();
    let now = Date.UTC(2024, 0, 10, 12, 0, 0);
    const stream = await createStream(
      { class: "TimedRotatingFileStream", filename: "app.log", rotate_when: "s", rotate_interval: "5", utc: "true" },
      { watcher: "web", configDir: dir, cwd: dir, now: () => now },
    );
    stream.write(entry("a\n"));
    now += 4000;
    stream.write(entry("b\n"));
    now += 2000;
    stream.write(entry("c\n"));
    await stream.close();
    expect(readdirSync(dir).sort()).toEqual(["app.log", "app.log.20240110120000"]);
    expect(readFileSync(join(dir, "app.log.20240110120000"), "utf8")).toBe("a\nb\n");
    expect(readFileSync(join(dir, "app.log"), "utf8")).toBe("c\n");
  });

  test("keeps backup_count dated files and removes the oldest", async () => {
    const dir = tempDir();
    let now = Date.UTC(2024, 0, 10, 12, 0, 0);
    const stream = await createStream(
      {
        class: "circus.stream.file_stream.TimedRotatingFileStream",
        filename: "app.log",
        rotate_when: "m",
        backup_count: "2",
        utc: "yes",
      },
      { watcher: "web", configDir: dir, cwd: dir, now: () => now },
    );
    for (let i = 0; i < 5; i++) {
      stream.write(entry(`minute ${i}\n`));
      now += 60_000;
    }
    stream.write(entry("last\n"));
    await stream.close();
    expect(readdirSync(dir).sort()).toEqual(["app.log", "app.log.202401101203", "app.log.202401101204"]);
    expect(readFileSync(join(dir, "app.log.202401101204"), "utf8")).toBe("minute 4\n");
  });

  test("rotates on a short real interval", async () => {
    const dir = tempDir();
    const stream = await createStream(
      { class: "TimedRotatingFileStream", filename: "app.log", rotate_when: "S" },
      { watcher: "w", configDir: dir, cwd: dir },
    );
    stream.write(entry("first\n"));
    await Bun.sleep(1100);
    stream.write(entry("second\n"));
    await stream.close();
    const files = readdirSync(dir).sort();
    expect(files.length).toBe(2);
    expect(files[1]).toMatch(/^app\.log\.\d{14}$/);
    expect(readFileSync(join(dir, files[1]!), "utf8")).toBe("first\n");
  });

  test("rotate_when is accepted in any case and refused with the list when wrong or missing", () => {
    expect(parseRotateWhen("midnight")).toEqual({ unit: "MIDNIGHT", weekday: 0 });
    expect(parseRotateWhen("w3")).toEqual({ unit: "W", weekday: 3 });
    expect(() => parseRotateWhen("hourly")).toThrow(/S, M, H, D, MIDNIGHT or W0–W6/);
    expect(() => parseRotateWhen(undefined)).toThrow(/missing/);
    expect(() => parseRotateWhen("constructor")).toThrow(/S, M, H, D, MIDNIGHT or W0–W6/);
  });

  test("utc = False really means local time, and a non-boolean is refused", async () => {
    const dir = tempDir();
    const stream = await createStream(
      { class: "TimedRotatingFileStream", filename: "a.log", rotate_when: "H", utc: "False" },
      { watcher: "w", configDir: dir, cwd: dir },
    );
    await stream.close();
    await expect(
      createStream(
        { class: "TimedRotatingFileStream", filename: "b.log", rotate_when: "H", utc: "maybe" },
        { watcher: "w", configDir: dir, cwd: dir },
      ),
    ).rejects.toThrow(/utc: "maybe" is not a boolean/);
  });

  test("MIDNIGHT and weekly schedules roll at the next matching midnight, never in the past", () => {
    const wednesdayNoon = Date.UTC(2024, 0, 10, 12, 0, 0); // 2024-01-10 is a Wednesday
    const midnight = { ...parseRotateWhen("MIDNIGHT"), interval: 1, utc: true };
    expect(nextRollover(midnight, wednesdayNoon)).toBe(Date.UTC(2024, 0, 11));
    expect(rolloverSuffix(midnight, Date.UTC(2024, 0, 11))).toBe("20240110");
    const monday = { ...parseRotateWhen("W0"), interval: 1, utc: true };
    expect(nextRollover(monday, wednesdayNoon)).toBe(Date.UTC(2024, 0, 15));
    const twoWeeksWednesday = { ...parseRotateWhen("W2"), interval: 2, utc: true };
    expect(nextRollover(twoWeeksWednesday, wednesdayNoon)).toBe(Date.UTC(2024, 0, 24));
  });

  test("the first rollover counts from the existing file's modification time", async () => {
    const dir = tempDir();
    const path = join(dir, "app.log");
    await Bun.write(path, "old\n");
    const { utimesSync } = await import("node:fs");
    const old = new Date(Date.now() - 3 * 3600_000);
    utimesSync(path, old, old);
    const stream = new TimedRotatingFileStream(
      { path, maxBytes: 0, backupCount: 0, timeFormat: null, compress: false, now: Date.now },
      { ...parseRotateWhen("H"), interval: 1, utc: false },
    );
    expect(stream.nextRotation).toBeLessThan(Date.now());
    stream.write(entry("new\n"));
    await stream.close();
    expect(readdirSync(dir).length).toBe(2);
    expect(readFileSync(path, "utf8")).toBe("new\n");
  });
});
