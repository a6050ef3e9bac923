import { describe, expect, test } from "bun:test";
import { EventBus, watcherTopic } from "../../src/arbiter/bus.ts";

describe("EventBus", () => {
  test("topics lower-case the watcher name and replace spaces with underscores", () => {
    expect(watcherTopic("My Web App", "spawn")).toBe("watcher.my_web_app.spawn");
  });

  test("listeners get events in publish order until they unsubscribe", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const off = bus.subscribe((topic) => seen.push(topic));
    bus.publish("a", {});
    bus.publish("b", {});
    off();
    bus.publish("c", {});
    expect(seen).toEqual(["a", "b"]);
  });

  test("a throwing listener does not stop the others", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new Error("bad listener");
    });
    bus.subscribe((topic) => seen.push(topic));
    bus.publish("x", { time: 1 });
    expect(seen).toEqual(["x"]);
  });
});
