import type { OutboundMessage, ProviderConfig, SendResult } from '../../../src/ports/message-channels.js';

/** One attempt's message, as the messaging domain resolves it for a channel. */
export function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    accountId: 'acc_test',
    messageId: 'msg_test',
    to: '447123123123',
    title: null,
    body: 'Your order shipped',
    options: {},
    metadata: {},
    ...overrides,
  };
}

export function provider(overrides: Partial<ProviderConfig> & Pick<ProviderConfig, 'baseUrl'>): ProviderConfig {
  return { name: 'primary', credentials: {}, settings: {}, ...overrides };
}

/** A signal nobody aborts. */
export const noAbort = (): AbortSignal => new AbortController().signal;

/** The result's kind and code, for compact tables of expectations. */
export const outcome = (result: SendResult): string => (result.kind === 'accepted' ? `accepted ${result.providerMessageId}` : `${result.kind} ${result.code ?? ''}`);
