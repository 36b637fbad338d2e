import type { Clock } from '../../kernel/clock.js';
import { newId, newSecret } from '../../kernel/ids.js';
import { parseJson } from '../../kernel/json.js';
import { toE164 } from '../../kernel/phone.js';
import type { ChannelId } from '../../ports/message-channels.js';
import type { Storage } from '../../ports/storage.js';
import { hashSecret, SecretVerifier } from '../accounts/index.js';
import { profileNotFound, undialablePhone } from './messaging.errors.js';
import type { Profile, ProfileInput } from './messaging.model.js';
import { profilesRepo, type ProfileRow } from './profiles.repo.js';
import type { ProfileFacts } from './routing.js';

/** App tokens read `sbapp_<id>.<secret>`: the id finds the profile, the secret is checked against its hash. */
const APP_TOKEN_PREFIX = 'sbapp_';

/** Who an app token speaks for. */
export interface AppIdentity {
  accountId: string;
  profileId: string;
}

/**
 * Normalises a phone number to E.164: written with `+` it must be one; without, it is read in the
 * account's country, else as an international number missing its `+` (`447123123123`), as the
 * vendor API this resource follows writes them.
 */
export function normalisePhone(value: string, country: string): string | null {
  const trimmed = value.trim();
  if (trimmed.startsWith('+')) return toE164(trimmed, country);
  return toE164(trimmed, country) ?? (/^\d{8,15}$/.test(trimmed) ? toE164(`+${trimmed}`, country) : null);
}

/** A WhatsApp id as Meta writes it (digits) and as a profile may store it (with or without `+`). */
function whatsAppIdForms(id: string): string[] {
  const digits = id.trim().replace(/^\+/, '');
  return [digits, `+${digits}`];
}

/** `/profiles/{profileId}`: the addresses and consent a send fills `to` from, and the app's token. */
export class ProfilesService {
  /** App tokens checked against their stored hashes (remembered, guesses throttled). */
  private readonly appTokens: SecretVerifier;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly countryOf: (accountId: string) => Promise<string>,
    /** The profile's app token was replaced or revoked, or the profile removed: streams opened with the old token end. */
    private readonly appTokenEnded: (accountId: string, profileId: string) => Promise<void> = () => Promise.resolve(),
  ) {
    this.appTokens = new SecretVerifier(() => clock.now().getTime());
  }

  async put(accountId: string, profileId: string, input: ProfileInput): Promise<Profile> {
    const at = this.clock.now().toISOString();
    const phone = input.phone_number ? normalisePhone(input.phone_number, await this.countryOf(accountId)) : null;
    if (input.phone_number && phone === null) throw undialablePhone('phone_number');
    const row: ProfileRow = {
      account_id: accountId, id: profileId, phone_number: phone, email: input.email ?? null, fb_messenger_id: input.fb_messenger_id ?? null,
      whatsapp_id: input.whatsapp_id ?? null, opt_outs: JSON.stringify([...new Set(input.opt_outs ?? [])]),
      last_inbound_whatsapp_at: input.last_inbound_whatsapp_at ? new Date(input.last_inbound_whatsapp_at).toISOString() : null,
      app_token_id: null, app_token_hash: null, app_token_issued_at: null, created_at: at, updated_at: at,
    };
    // The window is the platform's record of the customer writing: a PUT that does not name it (a CRM syncing addresses) keeps it.
    await profilesRepo(this.storage.db).upsert(row, input.last_inbound_whatsapp_at === undefined);
    return this.get(accountId, profileId);
  }

  async get(accountId: string, profileId: string): Promise<Profile> {
    const row = await profilesRepo(this.storage.db).find(accountId, profileId);
    if (!row) throw profileNotFound();
    return toProfile(row);
  }

  async remove(accountId: string, profileId: string): Promise<void> {
    if (!(await profilesRepo(this.storage.db).remove(accountId, profileId))) throw profileNotFound();
    await this.appTokenEnded(accountId, profileId);
  }

  /** The accounts with a profile of this WhatsApp id (at most `limit`). */
  accountsByWhatsAppId(whatsAppId: string, limit = 100): Promise<string[]> {
    return profilesRepo(this.storage.db).accountsByWhatsAppId(whatsAppIdForms(whatsAppId), limit);
  }

  /**
   * The customer with this WhatsApp id wrote to the account at `at`: the account's profiles of that
   * id get it as their last inbound WhatsApp message (never moved back, never past now), which
   * opens the 24-hour window. Resolves to how many profiles moved.
   */
  async recordInboundWhatsApp(accountId: string, whatsAppId: string, at: string): Promise<number> {
    const now = this.clock.now();
    const when = new Date(Math.min(Date.parse(at), now.getTime())).toISOString();
    return profilesRepo(this.storage.db).recordInboundWhatsApp(accountId, whatsAppIdForms(whatsAppId), when, now.toISOString());
  }

  /** What routing reads; undefined when the account has no such profile. */
  async facts(accountId: string, profileId: string): Promise<ProfileFacts | undefined> {
    const row = await profilesRepo(this.storage.db).find(accountId, profileId);
    if (!row) return undefined;
    return {
      phoneNumber: row.phone_number, email: row.email, fbMessengerId: row.fb_messenger_id, whatsAppId: row.whatsapp_id,
      optOuts: parseJson<ChannelId[]>(row.opt_outs), lastInboundWhatsAppAt: row.last_inbound_whatsapp_at, appInstalled: row.app_token_hash !== null,
    };
  }

  /** Issues the profile's app token, replacing any earlier one; the token is shown once, only its hash is kept. */
  async issueAppToken(accountId: string, profileId: string): Promise<{ profile_id: string; token: string; issued_at: string }> {
    const id = newId();
    const token = `${APP_TOKEN_PREFIX}${id}.${newSecret()}`;
    const at = this.clock.now().toISOString();
    if (!(await profilesRepo(this.storage.db).setAppToken(accountId, profileId, { id, hash: await hashSecret(token), at }, at))) throw profileNotFound();
    await this.appTokenEnded(accountId, profileId);
    return { profile_id: profileId, token, issued_at: at };
  }

  async revokeAppToken(accountId: string, profileId: string): Promise<void> {
    if (!(await profilesRepo(this.storage.db).setAppToken(accountId, profileId, null, this.clock.now().toISOString()))) throw profileNotFound();
    await this.appTokenEnded(accountId, profileId);
  }

  /** The profile an app token belongs to; undefined for anything else (revoked, replaced, malformed). Looked up on every use, so revocation is immediate. */
  async authenticateApp(token: string): Promise<AppIdentity | undefined> {
    if (!token.startsWith(APP_TOKEN_PREFIX)) return undefined;
    const id = token.slice(APP_TOKEN_PREFIX.length).split('.')[0] ?? '';
    const row = id === '' ? undefined : await profilesRepo(this.storage.db).findByAppToken(id);
    if (!row?.app_token_hash) return undefined;
    if (!(await this.appTokens.verify(token, row.app_token_hash))) return undefined;
    return { accountId: row.account_id, profileId: row.id };
  }
}

function toProfile(row: ProfileRow): Profile {
  return {
    profile_id: row.id,
    phone_number: row.phone_number,
    email: row.email,
    fb_messenger_id: row.fb_messenger_id,
    whatsapp_id: row.whatsapp_id,
    opt_outs: parseJson<ChannelId[]>(row.opt_outs),
    last_inbound_whatsapp_at: row.last_inbound_whatsapp_at,
    app: { token_issued_at: row.app_token_issued_at },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
