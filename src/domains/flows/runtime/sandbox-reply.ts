/**
 * Checks what a `run_function` sandbox thread reports (sandbox-worker.mjs) and maps a finished
 * run to its {@link SandboxOutcome}: a message that does not match the protocol is refused
 * (`undefined`), and the pool treats its thread as crashed.
 */
import type { DoneReply, RunResult, WorkerReply } from './sandbox-worker.mjs';
import type { SandboxFailureReason, SandboxOutcome } from './sandbox-types.js';

const FAILURE_REASONS: readonly string[] = ['timeout', 'memory', 'exception', 'invalid_result'] satisfies SandboxFailureReason[];
const MAX_ERROR_CHARS = 500;

export function readReply(message: unknown): WorkerReply | undefined {
  if (!isRecord(message) || typeof message.id !== 'number') return undefined;
  switch (message.type) {
    case 'started':
      return { type: 'started', id: message.id };
    case 'unavailable':
      return typeof message.error === 'string' ? { type: 'unavailable', id: message.id, error: message.error } : undefined;
    case 'done': {
      const outcome = readRunResult(message.outcome);
      const { durationMs, memoryBytes, nearCap } = message;
      if (!outcome || !isCount(durationMs) || !isCount(memoryBytes) || typeof nearCap !== 'boolean') return undefined;
      return { type: 'done', id: message.id, outcome, durationMs, memoryBytes, nearCap };
    }
    default:
      return undefined;
  }
}

function readRunResult(value: unknown): RunResult | undefined {
  if (!isRecord(value)) return undefined;
  if (value.ok === true) {
    if (!isRecord(value.result)) return undefined;
    const entries: [string, string][] = [];
    for (const [name, item] of Object.entries(value.result)) {
      if (typeof item !== 'string') return undefined;
      entries.push([name, item]);
    }
    return { ok: true, result: Object.fromEntries(entries) };
  }
  if (value.ok === false && typeof value.reason === 'string' && isFailureReason(value.reason) && typeof value.error === 'string') {
    return { ok: false, reason: value.reason, error: truncate(value.error) };
  }
  return undefined;
}

export function toOutcome(reply: DoneReply): SandboxOutcome {
  const { outcome, durationMs } = reply;
  return outcome.ok
    ? { ok: true, result: outcome.result, durationMs }
    : { ok: false, error: outcome.error, reason: outcome.reason, durationMs };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isFailureReason(value: string): value is SandboxFailureReason {
  return FAILURE_REASONS.includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Caps an error message at `MAX_ERROR_CHARS` characters. */
export function truncate(text: string): string {
  return text.length <= MAX_ERROR_CHARS ? text : `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
}
