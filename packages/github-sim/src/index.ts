export { startGitHubSim } from "./start-github-sim.js";
export type {
  GitHubSim,
  GitHubSimOptions,
  SimCreatedApp,
  SimListedApp,
  SimRequestLogEntry,
  SimStats,
} from "./start-github-sim.js";
export type { FailureFaultOptions, RateLimitFaultOptions } from "./faults.js";
export type { SimCounters, SimProfile } from "./sim-context.js";
export type { AccountType } from "./sim-state.js";
export type { TokenFormat } from "./tokens.js";
export { MAX_APP_KEYS } from "./app-keys.js";
export { JWT_MESSAGES } from "./app-jwt-check.js";
