import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/message-channels.js';
import type { Clock } from '../../../kernel/clock.js';
import type { AppStreams } from './app-streams.js';

/**
 * The platform's own channel: the message is pushed over the customer's app stream
 * (`GET /app/stream`). An app that is not connected anywhere rejects the message, so the send
 * falls back to the next channel at once rather than waiting for the app to come back. The
 * provider message id is the message id: the app's receipts name it.
 */
export class AppMessagingAdapter implements ChannelAdapter {
  readonly channel = 'appMessaging' as const;

  constructor(private readonly streams: AppStreams, private readonly clock: Clock) {}

  async send(message: OutboundMessage): Promise<SendResult> {
    const event = { messageId: message.messageId, title: message.title, body: message.body, metadata: message.metadata, sentOn: this.clock.now().toISOString() };
    const where = await this.streams.offer(message.accountId, message.to, event);
    if (where === undefined) return { kind: 'rejected', reason: 'app not connected', code: 'app_not_connected' };
    return { kind: 'accepted', providerMessageId: message.messageId, details: `accepted: ${where}` };
  }
}
