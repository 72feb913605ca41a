// The run's timestamps, as ISO strings.

/** Formats the injected clock's time for state and events. Internal to the kernel. */
export class RunClock {
  readonly #now: () => Date;
  #lastMs = Number.NaN;
  #lastIso = "";

  constructor(now: () => Date) {
    this.#now = now;
  }

  // Many attempts finish within one millisecond; formatting the time once per ms saves most of it.
  iso(): string {
    const at = this.#now();
    const ms = at.getTime();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastIso = at.toISOString();
    }
    return this.#lastIso;
  }
}
