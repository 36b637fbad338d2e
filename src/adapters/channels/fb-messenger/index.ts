import { createFbMessengerAdapter } from './messenger-send.js';

export { createFbMessengerAdapter } from './messenger-send.js';
export { fbMessengerWebhook } from './messenger-webhook.js';
export { metaSubscriptionChallenge } from '../shared/graph.js';

/** The Messenger Send API adapter with the default 10 s attempt timeout. */
export const fbMessengerAdapter = createFbMessengerAdapter();
