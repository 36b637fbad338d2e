import type { ChannelId } from '../../ports/message-channels.js';
import type { AttemptOutcome } from './messaging.model.js';

/** Running totals of this node's sends, read by /metrics at scrape time. */
export class MessagingStats {
  /** Attempts by channel and outcome. */
  readonly attempts = new Map<string, { channel: ChannelId; outcome: AttemptOutcome; count: number }>();
  /** Times a send moved from one of a channel's providers to the next (failure or open circuit). */
  readonly providerSwitches = new Map<ChannelId, number>();

  countAttempt(channel: ChannelId, outcome: AttemptOutcome): void {
    const key = `${channel} ${outcome}`;
    const entry = this.attempts.get(key) ?? { channel, outcome, count: 0 };
    entry.count += 1;
    this.attempts.set(key, entry);
  }

  countSwitch(channel: ChannelId): void {
    this.providerSwitches.set(channel, (this.providerSwitches.get(channel) ?? 0) + 1);
  }
}
