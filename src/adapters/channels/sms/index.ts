import { createSmsAdapter } from './sms-send.js';
import { createSmsWebhook } from './sms-webhook.js';

export { createSmsAdapter } from './sms-send.js';
export { createSmsWebhook, twilioSignature } from './sms-webhook.js';

/** The Twilio-compatible SMS adapter with the default 10 s attempt timeout. */
export const smsAdapter = createSmsAdapter();
/** Twilio status callbacks, dated by the system clock when Twilio gives no time. */
export const smsWebhook = createSmsWebhook();
