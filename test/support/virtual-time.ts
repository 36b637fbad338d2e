import type { ManualClock } from '../../src/kernel/clock.js';
import type { Worker } from '../../src/jobs/index.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

/**
 * Runs a never-started worker's due jobs in the background while tests move a manual clock one
 * virtual second at a time, so handlers waiting on the clock (ringing, talking) make progress.
 * A drain pass waits for the jobs it ran; jobs that wait on other jobs (a customer held on the
 * line until a dispatch hands them an agent) need the next pass to start meanwhile, so passes
 * overlap, as a started worker's jobs do.
 */
export class VirtualTime {
  private running = true;
  private readonly loop: Promise<void>;
  /** Why a pass failed (the app closed under it, as when a test's node "dies"): passes stop, `stop()` reports it. */
  private failure: unknown = undefined;

  constructor(private readonly clock: ManualClock, worker: Worker) {
    this.loop = (async () => {
      const passes = new Set<Promise<unknown>>();
      while (this.running) {
        const pass: Promise<unknown> = worker
          .drain()
          .catch((error: unknown) => {
            this.failure ??= error;
            this.running = false;
          })
          .finally(() => passes.delete(pass));
        passes.add(pass);
        await Promise.race([pass, tick()]);
        await tick();
      }
      await Promise.all(passes);
    })();
  }

  /** Lets `seconds` of virtual time pass. */
  async pass(seconds: number): Promise<void> {
    for (let i = 0; i < seconds; i += 1) {
      await tick();
      this.clock.advance(1000);
    }
    await tick();
  }

  /** Lets virtual time pass until `check` stops throwing, failing after `maxSeconds`. */
  async until<T>(check: () => Promise<T>, maxSeconds = 600): Promise<T> {
    for (let second = 0; ; second += 1) {
      try {
        return await check();
      } catch (error) {
        if (second >= maxSeconds) throw error;
        await this.pass(1);
      }
    }
  }

  /** Stops the background loop once the jobs in hand have finished (time keeps moving meanwhile). */
  async stop(): Promise<void> {
    this.running = false;
    let done = false;
    void this.loop.finally(() => (done = true));
    while (!done) await this.pass(1);
    if (this.failure !== undefined) throw this.failure instanceof Error ? this.failure : new Error('a worker pass failed', { cause: this.failure });
  }
}
