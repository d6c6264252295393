/**
 * What a suite's `beforeAll` starts (containers, SSH fixtures) and its
 * `afterAll` disposes: the last one held is disposed first, and a `beforeAll`
 * that failed half-way leaves only what it started. Every resource is
 * disposed even when one fails; the failures are thrown together after.
 *
 *   const suite = new SuiteResources();
 *   beforeAll(async () => { ssh = suite.hold(await SshFixture.create()); });
 *   afterAll(() => suite[Symbol.asyncDispose]());
 */
export class SuiteResources implements AsyncDisposable {
  #held: AsyncDisposable[] = [];

  /** Registers `resource` for disposal and returns it. */
  hold<Resource extends AsyncDisposable>(resource: Resource): Resource {
    this.#held.push(resource);
    return resource;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const failures: unknown[] = [];
    for (let resource = this.#held.pop(); resource !== undefined; resource = this.#held.pop()) {
      try {
        await resource[Symbol.asyncDispose]();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} suite resources failed to dispose`);
  }
}
