import { notFound } from '../kernel/errors.js';
import type { CallRecord, CallRecords } from '../domains/continuity/index.js';

/** The calls of one simulation, kept in memory in the order they were placed. */
export class MemoryCallRecords implements CallRecords {
  private readonly calls = new Map<string, CallRecord>();

  record(_accountId: string, call: CallRecord): Promise<void> {
    this.calls.set(call.id, call);
    return Promise.resolve();
  }

  get(_accountId: string, id: string): Promise<CallRecord> {
    const call = this.calls.get(id);
    return call ? Promise.resolve(call) : Promise.reject(notFound('call'));
  }

  all(): CallRecord[] {
    return [...this.calls.values()];
  }
}
