import type { ChannelState, ChannelStates, ChannelStatus, MessageStatus, Routing } from './messaging.model.js';

/** How far a message (or one channel of it) has got; statuses off this ladder are outcomes. */
const PROGRESS = ['processing', 'sent', 'delivered', 'read'] as const;
type Progress = (typeof PROGRESS)[number];

const isProgress = (status: string): status is Progress => (PROGRESS as readonly string[]).includes(status);
const rank = (status: Progress): number => PROGRESS.indexOf(status);
/** A channel that has the message: its provider accepted it (and may have reported more). */
const holds = (status: ChannelStatus): boolean => status === 'sent' || status === 'delivered' || status === 'read';

export interface ChannelUpdate {
  status: ChannelStatus;
  details: string;
  at: string;
  provider?: string | null | undefined;
}

/**
 * One channel's status after an update, or undefined when the update changes nothing. Progress
 * only moves forward (a `delivered` receipt after `read` is ignored); a channel that holds the
 * message can still fail before it is delivered (a provider's asynchronous failure); an outcome
 * (skipped, rejected, failed) is final once reached.
 */
export function mergeChannel(current: ChannelState | undefined, update: ChannelUpdate): ChannelState | undefined {
  const next: ChannelState = { status: update.status, details: update.details, updatedOn: update.at, provider: update.provider ?? current?.provider ?? null };
  if (current === undefined || current.status === 'processing') return next;
  if (!isProgress(current.status)) return undefined;
  if (isProgress(update.status)) return rank(update.status) > rank(current.status) ? next : undefined;
  return update.status === 'failed' && current.status === 'sent' ? next : undefined;
}

/**
 * The message's status from its channels: the furthest any channel holding it got, never lower
 * than before; `failed` once routing is done and no channel holds it. `read`, `expired` and
 * `failed` are final.
 */
export function overallStatus(current: MessageStatus, channels: ChannelStates, routing: Routing): MessageStatus {
  if (current === 'read' || current === 'expired' || current === 'failed') return current;
  const best = Object.values(channels)
    .map((state) => state.status)
    .filter(holds)
    .reduce<Progress | undefined>((top, status) => (isProgress(status) && (top === undefined || rank(status) > rank(top)) ? status : top), undefined);
  if (best !== undefined) return rank(best) > rank(current) ? best : current;
  return routing === 'done' ? 'failed' : current;
}

/** The statuses a message passed through going from `from` to `to`, in order: one event each. */
export function statusesPassed(from: MessageStatus, to: MessageStatus): MessageStatus[] {
  if (from === to) return [];
  if (!isProgress(to)) return [to];
  const start = isProgress(from) ? rank(from) : PROGRESS.length;
  return PROGRESS.filter((status) => rank(status) > start && rank(status) <= rank(to));
}

/** Whether a channel's status already satisfies a rule's `until`. */
export const reached = (status: ChannelStatus | undefined, goal: 'delivered' | 'read'): boolean =>
  status !== undefined && isProgress(status) && rank(status) >= rank(goal);

/** Whether some channel other than `except` still holds the message. */
export const heldElsewhere = (channels: ChannelStates, except: string): boolean =>
  Object.entries(channels).some(([channel, state]) => channel !== except && holds(state.status));
