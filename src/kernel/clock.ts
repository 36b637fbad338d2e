/** Time is injected so tests and the flow simulator can control it. */
export interface Clock {
  now(): Date;
  /** Runs `fn` after `ms` of this clock's time; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return () => clearTimeout(handle);
  },
};

/** A clock that moves only when told to; timers fire in time order as it advances. */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private current: number = Date.parse('2026-11-23T09:00:00.000Z')) {}

  now(): Date {
    return new Date(this.current);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** When the earliest pending timer falls due, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.timers.reduce<number | undefined>((earliest, t) => (earliest === undefined || t.at < earliest ? t.at : earliest), undefined);
  }

  /** Moves time forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.fn();
    }
    this.current = target;
  }
}

export const iso = (date: Date): string => date.toISOString();

/**
 * A filter bound written with any offset and precision, as the UTC millisecond instant stored
 * times compare with: a fraction finer than a millisecond rounds up, so `created_from=…15.8431Z`
 * leaves out a row stamped `…15.843Z`, which is before it, and `created_to` (exclusive) keeps it.
 */
export function filterBound(value: string): string {
  const ms = Date.parse(value);
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const finer = /[1-9]/.test(fraction.slice(3));
  return new Date(finer ? ms + 1 : ms).toISOString();
}
