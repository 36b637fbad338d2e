import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A numeric reading taken at scrape time from whichever component owns it. */
export interface GaugeSource {
  name: string;
  help: string;
  read: () => number;
  /** Exposed as a counter (monotonic) rather than a gauge. */
  monotonic?: boolean;
}

/** One registry per app instance, so several apps in one process (tests) never collide. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'route'>;

  constructor(withDefaults = true) {
    if (withDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    this.httpRequests = new Counter({
      name: 'switchboard_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
  }

  /** Registers readings taken at scrape time; counters read a running total. */
  expose(sources: GaugeSource[]): void {
    for (const source of sources) {
      if (source.monotonic) {
        let last = 0;
        new Counter({
          name: source.name,
          help: source.help,
          registers: [this.registry],
          collect() {
            const value = source.read();
            this.inc(Math.max(0, value - last));
            last = value;
          },
        });
      } else {
        new Gauge({ name: source.name, help: source.help, registers: [this.registry], collect() { this.set(source.read()); } });
      }
    }
  }
}
