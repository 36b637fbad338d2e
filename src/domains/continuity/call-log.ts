import type { Db } from '../../ports/storage.js';
import type { Logger } from '../../kernel/logger.js';
import { notFound } from '../../kernel/errors.js';
import { withTimeout } from '../../kernel/timeout.js';
import { pageOf, type Page } from '../../kernel/page.js';
import type { CallFilters, CallRecord, CallRecords } from './calls.model.js';
import { callsRepo } from './calls.repo.js';

export interface CallLogOptions {
  /** Most distinct calls held in memory while the database is unreachable; more are dropped. */
  bufferLimit: number;
  /** A write that takes longer than this is treated as failed and its records buffered. */
  writeTimeoutMs?: number;
  retryMs?: number;
  maxBatch?: number;
}

interface Entry {
  accountId: string;
  call: CallRecord;
  /** A call arriving (`recordArrival`): written only when its id is new, else `stored` is set to the call already in the log. */
  arrival?: true;
  stored?: CallRecord;
}

interface Batch {
  entries: Map<string, Entry>;
  done: Promise<void>;
  resolve: () => void;
}

/** Records of one share of the calls: at most one write in flight, the next batch filling meanwhile. */
interface Lane {
  batch: Batch | undefined;
  writing: boolean;
}

/** Writes in flight at once, each on its own connection. */
const LANES = 4;

const keyOf = (accountId: string, callId: string) => `${accountId}\u0000${callId}`;

/** The lane of a call: always the same one, so two writes never carry the same call. */
function laneOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % LANES;
}

/**
 * The call log's writer. Records arriving together are written in one statement (group commit),
 * and each caller resumes once its record is stored. Calls are shared out over `LANES` lanes by
 * id, and a lane writes one batch at a time: the versions of a call recorded while its lane
 * writes go into the next batch, newest only. Two writes carrying the same call at once made the
 * second wait for the first to commit (holding a connection), and two batches locking the same
 * calls in different orders could deadlock. When the database fails or is slow the
 * records move to a bounded in-memory buffer, callers resume at once, and a retry loop flushes
 * the buffer when the database answers again: decisions never wait on an outage.
 */
export class CallLog implements CallRecords {
  private readonly lanes: Lane[] = Array.from({ length: LANES }, () => ({ batch: undefined, writing: false }));
  private readonly buffer = new Map<string, Entry>();
  private retryTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private degradedSince: number | undefined;
  private counters = { written: 0, dropped: 0 };
  private readonly writeTimeoutMs: number;
  private readonly retryMs: number;
  private readonly maxBatch: number;

  constructor(private readonly db: Db, private readonly logger: Logger, private readonly options: CallLogOptions) {
    this.writeTimeoutMs = options.writeTimeoutMs ?? 1000;
    this.retryMs = options.retryMs ?? 500;
    this.maxBatch = options.maxBatch ?? 500;
  }

  /**
   * Resolves once the record is stored, or buffered because the database is unavailable.
   * The record is kept by reference until written: callers pass a new object for each version.
   */
  record(accountId: string, call: CallRecord): Promise<void> {
    return this.enqueue({ accountId, call });
  }

  /**
   * Logs a call as it arrives, unless the log already holds a call with its id (a carrier
   * retrying the routing hook after a restart, or on another node): resolves with the call as the
   * log holds it, which is `call` itself when it was new or the database is unavailable.
   */
  async recordArrival(accountId: string, call: CallRecord): Promise<CallRecord> {
    const entry: Entry = { accountId, call, arrival: true };
    await this.enqueue(entry);
    return entry.stored ?? call;
  }

  private enqueue(entry: Entry): Promise<void> {
    if (this.degradedSince !== undefined) {
      this.addToBuffer(entry);
      return Promise.resolve();
    }
    const key = keyOf(entry.accountId, entry.call.id);
    const lane = this.lanes[laneOf(key)] as Lane;
    const batch = (lane.batch ??= this.openBatch(lane));
    const waiting = batch.entries.get(key);
    if (entry.arrival && waiting && !waiting.arrival) {
      // A newer version of the call is already on its way.
      entry.stored = waiting.call;
      return batch.done;
    }
    batch.entries.set(key, entry);
    if (batch.entries.size >= this.maxBatch) this.writeBatch(lane);
    return batch.done;
  }

  async get(accountId: string, id: string): Promise<CallRecord> {
    const key = keyOf(accountId, id);
    const buffered = this.buffer.get(key) ?? this.lanes[laneOf(key)]?.batch?.entries.get(key);
    const stored = await callsRepo(this.db).find(accountId, id);
    const call = buffered && (!stored || stored.updated_at <= buffered.call.updated_at) ? buffered.call : stored;
    if (!call) throw notFound('call');
    return call;
  }

  async list(accountId: string, filters: CallFilters, after: [string, string] | undefined, perPage: number): Promise<Page<CallRecord>> {
    const repo = callsRepo(this.db);
    const [rows, total] = await Promise.all([repo.list(accountId, filters, after, perPage + 1), repo.count(accountId, filters)]);
    return pageOf(rows, perPage, total, (row) => [row.started_at, row.id]);
  }

  get stats() {
    return { buffered: this.buffer.size, dropped: this.counters.dropped, written: this.counters.written, degraded: this.degradedSince !== undefined };
  }

  /** Writes whatever is pending or buffered; used at shutdown. */
  async drain(): Promise<void> {
    // A lane that is writing writes its next batch as soon as it is done: wait for that too.
    await Promise.all(this.lanes.map((lane) => {
      const pending = lane.batch;
      this.writeBatch(lane);
      return pending ? pending.done : Promise.resolve();
    }));
    await this.flushBuffer();
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private openBatch(lane: Lane): Batch {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const batch: Batch = { entries: new Map(), done, resolve };
    if (!lane.writing) setImmediate(() => this.writeBatch(lane));
    return batch;
  }

  /** Writes the lane's batch unless the lane is writing already; then it follows that write. */
  private writeBatch(lane: Lane): void {
    const batch = lane.batch;
    if (!batch || lane.writing) return;
    lane.batch = undefined;
    lane.writing = true;
    const entries = [...batch.entries.values()];
    this.write(entries).then(
      () => {
        this.counters.written += entries.length;
      },
      (error: unknown) => {
        this.enterDegraded(error);
        for (const entry of entries) this.addToBuffer(entry);
      },
    ).finally(() => {
      lane.writing = false;
      batch.resolve();
      this.writeBatch(lane);
    });
  }

  private write(entries: Entry[]): Promise<void> {
    return withTimeout(this.store(entries), this.writeTimeoutMs, `call log write exceeded ${this.writeTimeoutMs} ms`);
  }

  private async store(entries: Entry[]): Promise<void> {
    const repo = callsRepo(this.db);
    const arrivals = entries.filter((entry) => entry.arrival);
    await repo.upsertMany(arrivals.length === 0 ? entries : entries.filter((entry) => !entry.arrival));
    if (arrivals.length === 0) return;
    const inserted = new Set((await repo.insertNew(arrivals)).map((row) => keyOf(row.account_id, row.id)));
    for (const entry of arrivals) {
      if (!inserted.has(keyOf(entry.accountId, entry.call.id))) entry.stored = await repo.find(entry.accountId, entry.call.id);
    }
  }

  private addToBuffer(entry: Entry): void {
    const key = keyOf(entry.accountId, entry.call.id);
    const existing = this.buffer.get(key);
    if (existing) {
      if (existing.call.updated_at <= entry.call.updated_at) this.buffer.set(key, entry);
    } else if (this.buffer.size < this.options.bufferLimit) {
      this.buffer.set(key, entry);
    } else {
      this.counters.dropped += 1;
    }
    this.scheduleFlush();
  }

  private enterDegraded(error: unknown): void {
    if (this.degradedSince === undefined) {
      this.degradedSince = Date.now();
      this.logger.error({ err: error }, 'call log cannot reach the database; buffering call records');
    }
  }

  private scheduleFlush(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flushBuffer();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private async flushBuffer(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.buffer.size > 0) {
        const chunk = [...this.buffer.entries()].slice(0, this.maxBatch);
        await this.write(chunk.map(([, entry]) => entry));
        for (const [key, entry] of chunk) {
          // A newer version may have been buffered while this chunk was being written.
          if (this.buffer.get(key) === entry) this.buffer.delete(key);
        }
        this.counters.written += chunk.length;
      }
      if (this.degradedSince !== undefined) {
        this.logger.info({ degradedForMs: Date.now() - this.degradedSince }, 'call log reached the database again; buffer flushed');
        this.degradedSince = undefined;
      }
    } catch (error) {
      this.enterDegraded(error);
      this.scheduleFlush();
    } finally {
      this.flushing = false;
    }
  }
}
