import type { Clock } from '../../kernel/clock.js';

/**
 * The wait_in_queue customers this node holds on the line, each waiting for an agent. A hand-out
 * on this node wakes its customer at once; one made on another node is found by the customer's
 * own look at the callback every `pollMs` (on the clock, so tests drive it).
 */
export class HeldCustomers {
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly clock: Clock, private readonly pollMs: number) {}

  /** Resolves when `wake(callbackId)` is called on this node, or after `pollMs`. */
  nextLook(callbackId: string): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(this.pollMs, () => this.resolve(callbackId));
      this.waiting.set(callbackId, () => {
        cancel();
        resolve();
      });
    });
  }

  wake(callbackId: string): void {
    this.resolve(callbackId);
  }

  private resolve(callbackId: string): void {
    const resolve = this.waiting.get(callbackId);
    this.waiting.delete(callbackId);
    resolve?.();
  }
}
