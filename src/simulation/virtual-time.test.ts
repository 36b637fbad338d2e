import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kernel/clock.js';
import { onVirtualTime } from './virtual-time.js';

describe('onVirtualTime', () => {
  it('jumps to the next timer instead of waiting for it', async () => {
    const clock = new ManualClock(0);
    const work = new Promise<number>((resolve) => clock.setTimer(35_000, () => resolve(clock.now().getTime())));
    await expect(onVirtualTime(clock, work)).resolves.toBe(35_000);
  });

  it('fails with a timer that throws, and the abandoned work failing later goes nowhere unhandled', async () => {
    const clock = new ManualClock(0);
    let fail!: (error: Error) => void;
    const work = new Promise<void>((_resolve, reject) => (fail = reject));
    clock.setTimer(10, () => {
      throw new Error('a handler broke');
    });
    await expect(onVirtualTime(clock, work)).rejects.toThrow('a handler broke');
    fail(new Error('the work gave up afterwards'));
    // vitest fails the run on an unhandled rejection; give one a turn to surface.
    await new Promise((resolve) => setImmediate(resolve));
  });
});
