// Process statistics as Circus reports them: the info object of §2.4 from /proc and the watcher
// aggregate (the circusd-stats streamer built on them is a client tool: src/cli/stats/streamer.ts).
//
//   const sampler = new ProcessSampler();
//   sampler.info(pid)        // ProcessInfo with children, or null; cpu % since the previous sample
//   aggregate([info, …])     // { pid: [...], cpu: avg, mem: sum, age: max }

export { aggregate, type Aggregate } from "./aggregate.ts";
export { bytes2human, formatCpuTime } from "./format.ts";
export { NO_SUCH_PROCESS, ProcessSampler, commandName, daemonSampler, type ProcessInfo } from "./info.ts";
