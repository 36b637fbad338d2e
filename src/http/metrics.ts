import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A numeric reading taken at scrape time from whichever component owns it. */
export interface GaugeSource {
  name: string;
  help: string;
  read: () => number;
  /** Exposed as a counter (monotonic) rather than a gauge. */
  monotonic?: boolean;
}

/** A gauge with labels (a closed set of values each: cardinality stays bounded), read at scrape time. */
export interface LabelledSource {
  name: string;
  help: string;
  labelNames: readonly string[];
  read: () => Promise<{ labels: Record<string, string>; value: number }[]>;
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

  /**
   * Registers labelled readings taken at scrape time, which may ask the database: a reading that
   * fails (the database unreachable) shows no series for that scrape rather than failing it.
   */
  exposeLabelled(source: LabelledSource): void {
    new Gauge({
      name: source.name,
      help: source.help,
      labelNames: source.labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        const readings = await source.read().catch(() => []);
        for (const { labels, value } of readings) this.set(labels, value);
      },
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
