import { z } from 'zod';
import type { Transaction } from 'kysely';
import type { Database, Executor } from './storage.js';

/**
 * Every job type and the schema of its payload: the closed set the worker runs. A payload is
 * parsed against its schema when a worker claims the job, never trusted from the row. Adding a
 * type here fails to compile until `src/jobs/handlers.ts` has a handler for it.
 */
export const JOB_PAYLOADS = {
  /** Deletes idempotency keys past their retention; a singleton that reschedules itself hourly. */
  'idempotency.purge': z.object({}),
  /** Hands the front of a skill's callback queue to available agents (or dials it, for wait_in_queue) until one runs out. */
  'callback.dispatch': z.object({ skill_id: z.string().min(1) }),
  /** Dials a callback's customer, then carries the call through the skill's strategy (holding a wait_in_queue customer until an agent is handed to them). */
  'callback.dial': z.object({ callback_id: z.string().min(1) }),
  /** Runs an interaction from where it stands until it ends. */
  'flow.run': z.object({ interaction_id: z.string().min(1) }),
  /** Closes a resolved case once the account's auto-close delay has passed since it was resolved (re-checked when it runs). */
  'case.auto_close': z.object({ case_id: z.string().min(1) }),
  /** Deletes cases trashed more than 30 days ago; a singleton that reschedules itself hourly. */
  'case.trash_purge': z.object({}),
  /** Sends a message through its rules from where it stands until a channel takes it or none is left. */
  'message.send': z.object({ message_id: z.string().min(1) }),
  /** The receipt rule `rule` waits for did not come in time: tries the next channels (a no-op if it came). */
  'message.escalate': z.object({ message_id: z.string().min(1), rule: z.number().int().min(0) }),
  /** Expires a message no channel has taken by its `expiresOn`, and stops any escalation still to come. */
  'message.expire': z.object({ message_id: z.string().min(1) }),
  /** Tries to deliver one webhook event to one endpoint; a failed try repeats it with backoff until 24 h after the event. */
  'webhook.deliver': z.object({ delivery_id: z.string().min(1) }),
  /** Deletes webhook events and final deliveries older than 30 days; a singleton that reschedules itself hourly. */
  'webhook.purge': z.object({}),
  /** Has the database tidy the tables the app churns (PostgreSQL: vacuum and analyze); a singleton that reschedules itself every few seconds. */
  'storage.maintain': z.object({}),
} satisfies PayloadSchemas;

/** Payload schemas by job type; tests and later modules build their own sets of this shape. */
export type PayloadSchemas = Record<string, z.ZodType>;

/** The discriminated union of jobs a set of payload schemas describes. */
export type JobOf<S extends PayloadSchemas> = { [T in keyof S & string]: { type: T; payload: z.output<S[T]> } }[keyof S & string];

export type Job = JobOf<typeof JOB_PAYLOADS>;
export type JobType = Job['type'];
export type JobStatus = Database['jobs']['status'];

/** The account that owns jobs no tenant caused (housekeeping); account ids are UUIDs, so it never collides. */
export const SYSTEM_ACCOUNT = 'system';

/** How many times a job is tried, counting the first, unless its enqueuer says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 10;

export interface JobOptions {
  accountId: string;
  /** Not before this time; now when absent. */
  runAt?: Date;
  /** At most one live (pending or running) job per account holds a key; enqueueing another is a no-op. */
  dedupeKey?: string;
  maxAttempts?: number;
  /**
   * Enqueued inside `JobQueue.transaction`, the job starts on this node's worker the moment the
   * transaction commits, without a notification and a claim (still durable: claimed under a
   * lease, so another node takes it over if this one dies). Elsewhere, or on a node without a
   * running worker, it is an ordinary job.
   */
  here?: boolean;
}

export type NewJob<J extends { type: string; payload: unknown } = Job> = J & JobOptions;

/**
 * Durable background work. `enqueue` writes through `executor`, so the job exists only if the
 * caller's transaction commits, and wakes workers on every node once it does. It resolves to the
 * new job's id, or null when a live job already holds `dedupeKey`. It rejects as the executor's
 * queries do (database unreachable); nothing is enqueued then.
 */
export interface JobQueue<J extends { type: string; payload: unknown } = Job> {
  enqueue(executor: Executor, job: NewJob<J>): Promise<string | null>;
  /**
   * Runs `work` in a transaction; once it commits, jobs it enqueued with `here` start on this node.
   * `shared`: the transaction may be shared with other short writes (`Storage.batch`), for a few
   * quick statements on a hot path.
   */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>, options?: { shared?: boolean }): Promise<T>;
  /** Deletes the account's pending job holding `dedupeKey` (a running one is left to finish); true when there was one. */
  cancel(executor: Executor, accountId: string, dedupeKey: string): Promise<boolean>;
  /** Makes every pending job of `type` in the account due at `runAt`, and wakes workers; resolves to how many moved. */
  reschedule(executor: Executor, accountId: string, type: J['type'], runAt: Date): Promise<number>;
}
