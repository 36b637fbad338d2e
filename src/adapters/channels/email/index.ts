import type { ChannelWebhook } from '../../../ports/message-channels.js';
import { createEmailAdapter } from './email-send.js';

export { createEmailAdapter } from './email-send.js';

/** The SMTP adapter with the default 10 s attempt timeout. */
export const emailAdapter = createEmailAdapter();

/**
 * Email has no status webhook: SMTP acceptance is the last thing a sender learns (bounces come
 * back as mail, hours later, in formats that vary by server), and inventing a JSON format for
 * them would be a public contract no mail system speaks. So every request is refused (`verify`
 * false → 401) and no receipts are read: an email's channel status stays `sent`.
 */
export const emailWebhook: ChannelWebhook = {
  channel: 'email',
  verify: () => false,
  receipts: () => [],
};
