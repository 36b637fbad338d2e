import type { Clock } from '../../kernel/clock.js';

export interface CircuitBreakerOptions {
  /** Consecutive failed attempts that open a provider's circuit. */
  failureThreshold: number;
  /** How long an open circuit skips the provider; then one trial attempt is let through. */
  coolDownMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failureThreshold: 3, coolDownMs: 60_000 };

interface Circuit {
  failures: number;
  openUntil: number | undefined;
}

/**
 * Provider health per account, channel and provider, kept in memory on each node: every node
 * learns a provider's outage from its own attempts (a few more failed attempts cluster-wide, no
 * shared state to lose). A circuit opens after `failureThreshold` consecutive failures; while it
 * is open the provider is skipped; after `coolDownMs` the next attempt is a trial, whose success
 * closes it and whose failure opens it again.
 */
export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();
  /** Times a circuit opened, since start (exposed in /metrics). */
  opened = 0;

  constructor(private readonly clock: Clock, private readonly options: CircuitBreakerOptions = DEFAULT_CIRCUIT_BREAKER) {}

  static key(accountId: string, channel: string, provider: string): string {
    return `${accountId}\u0000${channel}\u0000${provider}`;
  }

  /** When the provider's circuit is open, the time it will let a trial through; undefined when it may be tried. */
  openUntil(key: string): Date | undefined {
    const until = this.circuits.get(key)?.openUntil;
    return until !== undefined && until > this.clock.now().getTime() ? new Date(until) : undefined;
  }

  succeeded(key: string): void {
    this.circuits.delete(key);
  }

  /** Counts a failure; true when it opened the circuit. */
  failed(key: string): boolean {
    const circuit = this.circuits.get(key) ?? { failures: 0, openUntil: undefined };
    circuit.failures += 1;
    this.circuits.set(key, circuit);
    // A failed trial after a cool-down opens it again at once.
    const trial = circuit.openUntil !== undefined;
    if (circuit.failures < this.options.failureThreshold && !trial) return false;
    circuit.openUntil = this.clock.now().getTime() + this.options.coolDownMs;
    this.opened += 1;
    return true;
  }

  /** Circuits open right now. */
  get openCount(): number {
    const now = this.clock.now().getTime();
    let count = 0;
    for (const circuit of this.circuits.values()) if (circuit.openUntil !== undefined && circuit.openUntil > now) count += 1;
    return count;
  }
}
