import type { CloudClient } from "@connect-ops/connection-core";

/** A cloud client for a base URL (a connection names its cloud; the audit asks the one it recorded). */
export type CloudClientFactory = (baseUrl: string) => Promise<CloudClient>;

/**
 * Called at each named checkpoint of a journaled lifecycle. Production passes a no-op;
 * the crash suites pass one that kills the process there (like a power cut), and
 * lifecycle tests one that throws.
 */
export type CrashHook = (checkpoint: string) => void;

/** A crash hook that never fires. */
export const noCrash: CrashHook = () => undefined;
