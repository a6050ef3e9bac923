// The [circus] table: defaults, the endpoints every tool uses, and globaloptions' rendering.

import { expect, test } from "bun:test";
import { circusDefaults } from "../../../src/arbiter/defaults.ts";
import {
  CIRCUS_DEFAULTS,
  DEFAULT_ENDPOINT,
  DEFAULT_PUBSUB_ENDPOINT,
  GLOBAL_OPTION_KEYS,
  renderCircusOption,
} from "../../../src/config/options/circus.ts";
import { DEFAULT_ENDPOINT as CLIENT_DEFAULT } from "../../../src/protocol/client.ts";

test("the default endpoints are Circus's and the client uses the same ones", () => {
  expect([DEFAULT_ENDPOINT, DEFAULT_PUBSUB_ENDPOINT]).toEqual(["tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556"]);
  expect(CLIENT_DEFAULT).toBe(DEFAULT_ENDPOINT);
  expect(circusDefaults()).toEqual(CIRCUS_DEFAULTS);
  expect(Object.hasOwn(CIRCUS_DEFAULTS, "include")).toBe(false);
});

test("globaloptions shows Circus's five keys; check_delay prints as a Python float", () => {
  expect(GLOBAL_OPTION_KEYS).toEqual([
    "endpoint",
    "stats_endpoint",
    "pubsub_endpoint",
    "check_delay",
    "multicast_endpoint",
  ]);
  expect(renderCircusOption("check_delay", 5)).toBe("5.0");
  expect(renderCircusOption("endpoint", "tcp://x:1")).toBe("tcp://x:1");
  expect(renderCircusOption("multicast_endpoint", null)).toBe("");
});
