// Preloaded before every test file (bunfig.toml [test] preload): hooks that run the cleanups of
// ./cleanup.ts, so a test that fails half-way still leaves no process or temp dir behind.

import { afterAll, afterEach, beforeEach } from "bun:test";
import { enterTest, leaveFile, leaveTest } from "./cleanup.ts";

beforeEach(enterTest);
afterEach(leaveTest);
afterAll(leaveFile);
