import type { Clock } from '../../kernel/clock.js';
import { parseJson } from '../../kernel/json.js';
import { AccountCache } from '../../ports/account-cache.js';
import { CHANNELS } from '../../ports/channels.js';
import { CHANNEL_IDS, type ChannelId, type ProviderConfig } from '../../ports/message-channels.js';
import type { Storage } from '../../ports/storage.js';
import { channelConfigRepo, type ChannelConfigRow, type StoredProvider } from './channel-config.repo.js';
import type { CredentialsCipher } from './credentials-cipher.js';
import { appMessagingNeedsNoProvider, channelNotConfigured } from './messaging.errors.js';

/** A channel's configuration as the API shows it: credential names only, never their values. */
export interface ChannelConfigView {
  channel: ChannelId;
  providers: { name: string; base_url: string; settings: Record<string, string | number | boolean>; credential_names: string[] }[];
  updated_at: string | null;
}

/** A provider ready to send through, or why it cannot be used (its credentials do not open). */
export type UsableProvider = { name: string; config: ProviderConfig; problem?: undefined } | { name: string; config?: undefined; problem: string };

/** An account's configured channels (appMessaging, which needs none, is never among them), each with its usable providers in order. */
export type AccountChannels = ReadonlyMap<ChannelId, readonly UsableProvider[]>;

const sealingContext = (accountId: string, channel: string, provider: string) => `${accountId}/${channel}/${provider}`;

/** `/channels/{channel}`: the account's providers per channel, in the order they are tried. */
export class ChannelConfigService {
  /** Read on every send: kept per account until a change to it commits, on this node or another. */
  private readonly cache: AccountCache<AccountChannels>;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly cipher: CredentialsCipher,
  ) {
    this.cache = new AccountCache(storage, CHANNELS.channelConfigs);
  }

  /** Follows every node's changes to channel configurations. */
  start(): Promise<void> {
    return this.cache.start();
  }

  stop(): Promise<void> {
    return this.cache.stop();
  }

  async put(accountId: string, channel: ChannelId, providers: ProviderConfig[]): Promise<ChannelConfigView> {
    if (channel === 'appMessaging') throw appMessagingNeedsNoProvider();
    const stored: StoredProvider[] = providers.map((provider) => ({
      name: provider.name,
      base_url: provider.baseUrl,
      settings: provider.settings,
      credential_names: Object.keys(provider.credentials).sort(),
      credentials: this.cipher.seal(provider.credentials, sealingContext(accountId, channel, provider.name)),
    }));
    const row: ChannelConfigRow = { account_id: accountId, channel, providers: JSON.stringify(stored), updated_at: this.clock.now().toISOString() };
    await this.cache.change(accountId, (trx) => channelConfigRepo(trx).upsert(row));
    return toView(row);
  }

  async get(accountId: string, channel: ChannelId): Promise<ChannelConfigView> {
    if (channel === 'appMessaging') return { channel, providers: [], updated_at: null };
    const row = await channelConfigRepo(this.storage.db).find(accountId, channel);
    if (!row) throw channelNotConfigured(channel);
    return toView(row);
  }

  /** Every channel the account configured, in the order of `CHANNEL_IDS` (appMessaging needs no configuration). */
  async list(accountId: string): Promise<ChannelConfigView[]> {
    const rows = await channelConfigRepo(this.storage.db).all(accountId);
    return rows.map(toView).sort((a, b) => CHANNEL_IDS.indexOf(a.channel) - CHANNEL_IDS.indexOf(b.channel));
  }

  async remove(accountId: string, channel: ChannelId): Promise<void> {
    if (channel === 'appMessaging') throw appMessagingNeedsNoProvider();
    if (!(await this.cache.change(accountId, (trx) => channelConfigRepo(trx).remove(accountId, channel)))) throw channelNotConfigured(channel);
  }

  /**
   * The account's channels and providers, credentials opened: read once, then from memory until
   * a change. Never call it inside a transaction (a read it has to make would wait for the
   * connection the transaction holds on SQLite): read it first and hand the result on.
   */
  ofAccount(accountId: string): Promise<AccountChannels> {
    return this.cache.get(accountId, async () => {
      const rows = await channelConfigRepo(this.storage.db).all(accountId);
      return new Map(rows.map((row) => [row.channel as ChannelId, this.usable(accountId, row)]));
    });
  }

  /** The channel's providers in order, credentials opened; empty when the channel is not configured. */
  async providers(accountId: string, channel: ChannelId): Promise<readonly UsableProvider[]> {
    return (await this.ofAccount(accountId)).get(channel) ?? [];
  }

  /**
   * Whether this node's credentials key opens the channel credentials stored last: false when
   * they were sealed with another key (a node configured with a different
   * SWITCHBOARD_CREDENTIALS_KEY would fail every send it takes).
   */
  async keyOpensStoredCredentials(): Promise<boolean> {
    const row = await channelConfigRepo(this.storage.db).latest();
    return row === undefined || this.usable(row.account_id, row).every((provider) => provider.problem === undefined);
  }

  private usable(accountId: string, row: ChannelConfigRow): UsableProvider[] {
    return parseJson<StoredProvider[]>(row.providers).map((provider) => {
      try {
        const credentials = this.cipher.open(provider.credentials, sealingContext(accountId, row.channel, provider.name));
        return { name: provider.name, config: { name: provider.name, baseUrl: provider.base_url, credentials, settings: provider.settings } };
      } catch {
        return { name: provider.name, problem: `the credentials of provider "${provider.name}" cannot be decrypted (was the credentials key changed?)` };
      }
    });
  }
}

function toView(row: ChannelConfigRow): ChannelConfigView {
  const providers = parseJson<StoredProvider[]>(row.providers).map(({ name, base_url, settings, credential_names }) => ({ name, base_url, settings, credential_names }));
  return { channel: row.channel as ChannelId, providers, updated_at: row.updated_at };
}
