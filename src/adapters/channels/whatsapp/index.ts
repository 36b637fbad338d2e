import { createWhatsAppAdapter } from './whatsapp-send.js';

export { createWhatsAppAdapter } from './whatsapp-send.js';
export { whatsAppWebhook } from './whatsapp-webhook.js';
export { metaSubscriptionChallenge } from '../shared/graph.js';

/** The WhatsApp Cloud API adapter with the default 10 s attempt timeout. */
export const whatsAppAdapter = createWhatsAppAdapter();
