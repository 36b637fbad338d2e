import { connect, type Socket } from 'node:net';
import { createHistogram, performance } from 'node:perf_hooks';

export interface OpenLoopLoad {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** The JSON body of request number `i` (0-based). */
  body: (i: number) => string;
  /** Requests per second, spread evenly over the run whatever the answers' latency. */
  rate: number;
  durationS: number;
  /** Keep-alive connections; a request due while all are busy waits for one (and that wait counts). */
  connections: number;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  /** Requests answered per second over the whole run, last answer included. */
  achievedRate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * p99 measured from when the client's timer actually fired instead of when the request was due:
   * leaves out the client's own lateness (a starved or collecting client), keeps every wait for
   * a free connection. The server is not to blame for the difference.
   */
  p99FromFiringMs: number;
  /** Worst lateness of the client's own timer: above a millisecond or two, the client was starved. */
  clientLagMs: number;
}

const TICK_MS = 1;
const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

interface Pending {
  i: number;
  dueAt: number;
  firedAt: number;
}

/**
 * One keep-alive HTTP/1.1 connection with at most one request outstanding. It speaks just enough
 * HTTP for a server that answers with Content-Length (Fastify always does): far cheaper than
 * node:http, so the client takes as little CPU as possible from the server it measures.
 */
class Connection {
  private socket: Socket;
  private received: Buffer = Buffer.alloc(0);
  private closed = false;
  current: Pending | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onAnswer: (connection: Connection, pending: Pending, ok: boolean) => void,
  ) {
    this.socket = this.open();
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.closed) return;
      this.received = Buffer.alloc(0);
      const lost = this.current;
      this.current = undefined;
      this.socket = this.open();
      if (lost) this.onAnswer(this, lost, false);
    });
    return socket;
  }

  send(pending: Pending, request: Buffer): void {
    this.current = pending;
    this.socket.write(request);
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const headerEnd = this.received.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.received.toString('latin1', 0, headerEnd);
    const declared = CONTENT_LENGTH.exec(head)?.[1];
    if (declared === undefined) {
      // Chunked or close-delimited answers are not understood here: closing counts a failure.
      this.socket.destroy();
      return;
    }
    const length = Number(declared);
    const total = headerEnd + HEADER_END.length + length;
    if (this.received.length < total) return;
    // Any 2xx: the routing hook answers 200, a send 201.
    const ok = head.startsWith('HTTP/1.1 2');
    this.received = this.received.subarray(total);
    const done = this.current;
    this.current = undefined;
    if (done) this.onAnswer(this, done, ok);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * A fixed-rate (open-loop) load generator. Request i is due at start + i/rate; its latency is
 * measured from that due time, not from when it was actually written, so a slow server cannot
 * hide its queueing by slowing the client down (no coordinated omission). The 1 ms timer adds up
 * to about a millisecond to each figure.
 */
export async function runOpenLoop(load: OpenLoopLoad): Promise<OpenLoopResult> {
  const target = new URL(load.url);
  const extraHeaders = Object.entries(load.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const requestFor = (i: number) => {
    const body = load.body(i);
    return Buffer.from(
      `POST ${load.path} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`,
    );
  };
  const histogram = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
  const fromFiring = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
  const total = Math.max(1, Math.round(load.rate * load.durationS));
  const intervalMs = 1000 / load.rate;
  const queue: Pending[] = [];
  const idle: Connection[] = [];
  let sent = 0;
  let settled = 0;
  let ok = 0;
  let failed = 0;
  let clientLagMs = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const dispatch = (connection: Connection) => {
    const next = queue.shift();
    if (next) connection.send(next, requestFor(next.i));
    else idle.push(connection);
  };
  const onAnswer = (connection: Connection, pending: Pending, success: boolean) => {
    const now = performance.now();
    histogram.record(Math.max(1, Math.round((now - pending.dueAt) * 1000)));
    fromFiring.record(Math.max(1, Math.round((now - pending.firedAt) * 1000)));
    if (success) ok += 1;
    else failed += 1;
    settled += 1;
    if (settled === total) finish();
    dispatch(connection);
  };
  const connections = Array.from({ length: load.connections }, () => new Connection(target.hostname, Number(target.port), onAnswer));
  idle.push(...connections);

  const start = performance.now();
  let expectedTickAt = start;
  const tick = () => {
    const now = performance.now();
    clientLagMs = Math.max(clientLagMs, now - expectedTickAt);
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    for (; sent < due; sent += 1) {
      const pending = { i: sent, dueAt: start + sent * intervalMs, firedAt: now };
      const connection = idle.pop();
      if (connection) connection.send(pending, requestFor(pending.i));
      else queue.push(pending);
    }
    if (sent < total) {
      expectedTickAt = performance.now() + TICK_MS;
      setTimeout(tick, TICK_MS);
    }
  };
  tick();
  // A server that stops answering must not hang the benchmark: what is unanswered by then failed.
  const deadline = setTimeout(finish, (load.durationS + 30) * 1000);
  await finished;
  clearTimeout(deadline);
  failed += total - settled;

  const elapsedS = (performance.now() - start) / 1000;
  for (const connection of connections) connection.close();
  return {
    sent,
    ok,
    failed,
    achievedRate: settled / elapsedS,
    p50Ms: histogram.percentile(50) / 1000,
    p99Ms: histogram.percentile(99) / 1000,
    maxMs: histogram.max / 1000,
    p99FromFiringMs: fromFiring.percentile(99) / 1000,
    clientLagMs,
  };
}
