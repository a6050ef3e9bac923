// One contract, two implementations of the control port: the fake arbiter the command tests use, and
// the real Arbiter with real `sleep` processes. A behaviour the fake gets wrong fails here.

import { watcherDefaults } from "../../src/arbiter/defaults.ts";
import { createArbiter } from "../../src/arbiter/index.ts";
import { killLeftovers, startedPids, wcfg } from "../arbiter/helpers.ts";
import { CONTRACT_WATCHERS, runControlContract } from "./control-contract.ts";
import { contextFor, FakeArbiter, FakeWatcher } from "./fake-arbiter.ts";

runControlContract("fake arbiter", async () => {
  const watchers = CONTRACT_WATCHERS.map((input) => {
    const cfg = watcherDefaults(input);
    return new FakeWatcher(cfg.name, cfg, "stopped");
  });
  const arbiter = new FakeArbiter(...watchers);
  await arbiter.start();
  return { ctx: contextFor(arbiter), close: async () => {} };
});

runControlContract("real arbiter", async () => {
  const arbiter = await createArbiter(CONTRACT_WATCHERS.map(wcfg), { circus: { check_delay: 0.2 } });
  // Every spawned pid is tracked, so a failing case never leaves a sleeper behind.
  arbiter.bus.subscribe((topic, payload) => {
    if (topic.endsWith(".spawn")) startedPids.add(payload.process_pid as number);
  });
  await arbiter.start();
  return {
    ctx: contextFor(arbiter),
    close: async () => {
      await arbiter.close();
      killLeftovers();
    },
  };
});
