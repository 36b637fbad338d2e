import type { ManualClock } from '../kernel/clock.js';

/** The longest a simulation may take in real time (a sandboxed function, a stuck handler). */
const REAL_TIME_BUDGET_MS = 60_000;

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/**
 * Runs `work` on `clock`, jumping straight to the next timer whenever the work is only waiting
 * for time to pass: a 35-second ring timeout costs no real time. While something real is in
 * flight (a sandboxed function, a file read) and no timer is due, it waits for it.
 */
export async function onVirtualTime<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  const deadline = Date.now() + REAL_TIME_BUDGET_MS;
  try {
    while (!settled) {
      await macrotask();
      if (settled) break;
      const next = clock.nextTimerAt();
      if (next !== undefined) clock.advance(next - clock.now().getTime());
      else await pause();
      if (Date.now() > deadline) throw new Error(`the simulation did not finish within ${REAL_TIME_BUDGET_MS / 1000} s of real time`);
    }
  } catch (error) {
    // The work is abandoned: its own later failure must not go unhandled and stop the process.
    done.catch(() => undefined);
    throw error;
  }
  return done;
}
