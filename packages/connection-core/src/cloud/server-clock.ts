/**
 * The cloud's clock as we last saw it. Every response's `Date` header updates
 * the offset, so app JWTs are issued on the server's time even when ours is
 * off (CI runners, WSL, appliances without NTP). Kept for the client's
 * lifetime, unlike @octokit/auth-app which corrects one retry and forgets.
 */
export class ServerClock {
  readonly #now: () => number;
  #offsetMs = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Records the server's `Date` header; ignores a missing or unparsable one. */
  observe(dateHeader: string | null | undefined): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    // `Date` has one-second resolution: a sub-second difference is noise, not skew.
    const offset = serverMs - this.#now();
    this.#offsetMs = Math.abs(offset) < 1500 ? 0 : offset;
  }

  /** Server time minus our time, in ms (0 until a skewed `Date` was seen). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Our clock corrected by the last measured offset, in ms. */
  serverNowMs(): number {
    return this.#now() + this.#offsetMs;
  }
}
