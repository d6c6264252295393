export { startGitHubSim } from "./start-github-sim.js";
export type { GitHubSim, GitHubSimOptions, SimRequestLogEntry, SimStats } from "./start-github-sim.js";
export type { FailureFaultOptions, RateLimitFaultOptions } from "./faults.js";
export type { SimCounters } from "./sim-context.js";
export type { AccountType } from "./sim-state.js";
export type { TokenFormat } from "./tokens.js";
export { JWT_MESSAGES } from "./app-jwt-check.js";
