// `decr`: see incr.ts (one implementation for both directions).

export { decr } from "./incr.ts";
