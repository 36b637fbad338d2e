import { Counter } from 'prom-client';
import type { CircuitBreaker, MessagingStats } from '../domains/messaging/index.js';
import type { Metrics } from './metrics.js';

/** Messaging's readings in /metrics: attempts by channel and outcome, provider switches, circuits (this node's). */
export function exposeMessagingMetrics(metrics: Metrics, source: { stats: MessagingStats; breaker: CircuitBreaker; openStreams: () => number }): void {
  const attempts = new Map<string, number>();
  new Counter({
    name: 'switchboard_message_attempts_total',
    help: 'Channel attempts of message sends on this node, by channel and outcome (skipped, accepted, rejected, failed)',
    labelNames: ['channel', 'outcome'],
    registers: [metrics.registry],
    collect() {
      for (const [key, { channel, outcome, count }] of source.stats.attempts) {
        this.inc({ channel, outcome }, count - (attempts.get(key) ?? 0));
        attempts.set(key, count);
      }
    },
  });
  const switches = new Map<string, number>();
  new Counter({
    name: 'switchboard_message_provider_switches_total',
    help: "Times a send moved on to a channel's next provider because one failed or was cooling down",
    labelNames: ['channel'],
    registers: [metrics.registry],
    collect() {
      for (const [channel, count] of source.stats.providerSwitches) {
        this.inc({ channel }, count - (switches.get(channel) ?? 0));
        switches.set(channel, count);
      }
    },
  });
  metrics.expose([
    { name: 'switchboard_message_provider_circuits_opened_total', help: 'Times a provider was taken out of rotation after consecutive failures (circuit opened)', read: () => source.breaker.opened, monotonic: true },
    { name: 'switchboard_message_provider_circuits_open', help: 'Providers skipped right now while they cool down (per account, channel and provider)', read: () => source.breaker.openCount },
    { name: 'switchboard_app_streams_open', help: 'Customer app streams (GET /app/stream) open on this node', read: source.openStreams },
  ]);
}
