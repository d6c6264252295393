import type { KeyObject } from "node:crypto";
import type { FaultPlan } from "./faults.js";
import type { SimState } from "./sim-state.js";
import type { TokenFormat } from "./tokens.js";

/** What the sim counts, for tests that assert how many calls reached "GitHub". */
export interface SimCounters {
  /** API requests received (control endpoints under `/_sim` excluded). */
  requests: number;
  tokenMints: number;
  tokensRevoked: number;
  appsCreated: number;
  appsDeleted: number;
  installationsDeleted: number;
  recordsCreated: number;
  recordsDeleted: number;
  jwtRejected: number;
  faultsInjected: number;
}

export function emptyCounters(): SimCounters {
  return {
    requests: 0,
    tokenMints: 0,
    tokensRevoked: 0,
    appsCreated: 0,
    appsDeleted: 0,
    installationsDeleted: 0,
    recordsCreated: 0,
    recordsDeleted: 0,
    jwtRejected: 0,
    faultsInjected: 0,
  };
}

/**
 * Which cloud the sim stands for. `ghes-connect` (default): GitHub's public REST plus the Connect surface
 * (`/connect/records*`, `DELETE /app`) and public App pages. `github.com`: only public REST; Apps are private
 * (`GET /apps/{slug}` is 404 without the App's own credentials); deleting an App is a person's step
 * (`DELETE /_sim/apps/{id}` stands for the settings page).
 */
export type SimProfile = "ghes-connect" | "github.com";

/** Shared by the route modules: state, the (possibly skewed) clock, and the knobs. */
export interface SimContext {
  readonly state: SimState;
  readonly profile: SimProfile;
  readonly counters: SimCounters;
  readonly faults: FaultPlan;
  /** The sim's clock in ms: the injected `now()` plus the skew knob. */
  nowMs(): number;
  readonly defaultTokenFormat: TokenFormat;
  /** Signs the JWT part of `ghs_<APPID>_<JWT>` tokens. */
  readonly tokenSigningKey: KeyObject;
  isAdminToken(token: string): boolean;
}

/** GitHub's timestamps carry whole seconds: `2026-05-01T12:00:00Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
