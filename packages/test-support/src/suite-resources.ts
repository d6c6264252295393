/**
 * What a suite's `beforeAll` starts (simulators, containers, CLI snapshots, sandboxes), disposed
 * by its `afterAll` in reverse order. Only what was started is held, so a `beforeAll` that failed
 * half-way disposes what it got; every disposal runs, and their errors are reported together.
 */
export class SuiteResources {
  readonly #held: AsyncDisposable[] = [];

  /** Holds `resource` until the suite ends; returns it. */
  hold<Resource extends AsyncDisposable>(resource: Resource): Resource {
    this.#held.push(resource);
    return resource;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const resource of this.#held.splice(0).reverse()) {
      try {
        await resource[Symbol.asyncDispose]();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "disposing the suite's resources failed");
  }
}
