import type { ChannelId, InboundMessage, ProviderConfig } from '../../ports/message-channels.js';
import type { ChannelConfigService, UsableProvider } from './channel-config.service.js';

/**
 * Whether the provider a message went out through verifies a request: found by name, or any of
 * the channel's providers when it was renamed or removed since.
 */
export function verifiesFor(providers: readonly UsableProvider[], name: string | null, verify: (provider: ProviderConfig) => boolean): boolean {
  const named = providers.filter((provider) => provider.name === name);
  return (named.length > 0 ? named : providers).some((provider) => provider.config !== undefined && verify(provider.config));
}

/** Whether a provider is the business address an inbound message was written to (any, when the message does not say). */
export const serves = (provider: ProviderConfig, message: InboundMessage): boolean =>
  message.to === undefined || String(provider.settings[message.to.setting] ?? '') === message.to.value;

/** `not_ours`: the account has no provider for the business address the message was written to. */
export type InboundVerdict = 'verified' | 'refused' | 'not_ours';

/** One webhook request checked against accounts' providers of its channel. */
export class RequestVerifier {
  constructor(
    private readonly channels: ChannelConfigService,
    private readonly channel: ChannelId,
    private readonly verify: (provider: ProviderConfig) => boolean,
  ) {}

  /** Some provider of the account verifies it (the account-scoped callback URL's check). */
  async byAccount(accountId: string): Promise<boolean> {
    return (await this.providersOf(accountId)).some((provider) => provider.config !== undefined && this.verify(provider.config));
  }

  /** The provider a message went out through verifies it. */
  async byProvider(accountId: string, name: string | null): Promise<boolean> {
    return verifiesFor(await this.providersOf(accountId), name, this.verify);
  }

  /** A provider of the account serving the message's business address verifies it. */
  async forInbound(accountId: string, message: InboundMessage): Promise<InboundVerdict> {
    const serving = (await this.providersOf(accountId)).filter((provider) => provider.config !== undefined && serves(provider.config, message));
    if (serving.length === 0) return 'not_ours';
    return serving.some((provider) => provider.config !== undefined && this.verify(provider.config)) ? 'verified' : 'refused';
  }

  private providersOf(accountId: string): Promise<readonly UsableProvider[]> {
    return this.channels.providers(accountId, this.channel);
  }
}
