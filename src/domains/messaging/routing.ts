import type { ChannelId } from '../../ports/message-channels.js';
import { ruleOf, type Recipient, type Rule, type RuleInput } from './messaging.model.js';

/** WhatsApp lets a business write freely only within 24 hours of the customer's last message; outside it, only templates. */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What routing needs to know about the customer's stored profile. */
export interface ProfileFacts {
  phoneNumber: string | null;
  email: string | null;
  fbMessengerId: string | null;
  whatsAppId: string | null;
  optOuts: readonly ChannelId[];
  lastInboundWhatsAppAt: string | null;
  appInstalled: boolean;
}

export interface RoutingContext {
  to: Recipient;
  /** The profile `to.profileId` names, when it exists. */
  profile: ProfileFacts | undefined;
  /** Channels the account has providers for (appMessaging needs none and is always configured). */
  configured: ReadonlySet<ChannelId>;
  options: Partial<Record<ChannelId, Record<string, unknown>>>;
  now: Date;
}

export type Eligibility = { kind: 'send'; address: string } | { kind: 'skip'; reason: string };

/** The field of `to` (and its name in skip reasons) holding each channel's address. */
const ADDRESS_FIELD = {
  appMessaging: 'profileId',
  fbMessenger: 'fbMessengerId',
  whatsApp: 'whatsAppId',
  sms: 'phoneNumber',
  email: 'email',
} as const satisfies Record<ChannelId, keyof Recipient>;

/** The address on `channel`: `to` first, then the profile; for appMessaging the profile id itself. */
export function addressOf(channel: ChannelId, to: Recipient, profile: ProfileFacts | undefined): string | undefined {
  const given = to[ADDRESS_FIELD[channel]];
  if (given !== undefined && given !== '') return given;
  if (!profile) return undefined;
  const stored = {
    appMessaging: null,
    fbMessenger: profile.fbMessengerId,
    whatsApp: profile.whatsAppId,
    sms: profile.phoneNumber,
    email: profile.email,
  } satisfies Record<ChannelId, string | null>;
  return stored[channel] ?? undefined;
}

/**
 * Whether `channel` can carry the message, checked in this order: an address (for appMessaging, a
 * profile with an app installation), the customer's consent, the account's configuration, and
 * for WhatsApp the customer-service window (a template lifts it).
 */
export function eligibility(channel: ChannelId, context: RoutingContext): Eligibility {
  const address = addressOf(channel, context.to, context.profile);
  if (address === undefined) return skip(`no ${ADDRESS_FIELD[channel]}`);
  if (channel === 'appMessaging' && !context.profile?.appInstalled) return skip(`no app installation for profile ${address}`);
  if (context.profile?.optOuts.includes(channel)) return skip(`customer opted out of ${channel}`);
  if (channel !== 'appMessaging' && !context.configured.has(channel)) return skip(`${channel} is not configured for this account`);
  if (channel === 'whatsApp' && !whatsAppWindowOpen(context) && context.options.whatsApp?.template === undefined) {
    const last = context.profile?.lastInboundWhatsAppAt;
    return skip(`24-hour customer service window closed (last inbound WhatsApp message: ${last ?? 'never'}) and no template given`);
  }
  return { kind: 'send', address };
}

function whatsAppWindowOpen({ profile, now }: RoutingContext): boolean {
  const last = profile?.lastInboundWhatsAppAt;
  return last !== null && last !== undefined && now.getTime() - Date.parse(last) < WHATSAPP_WINDOW_MS;
}

const skip = (reason: string): Eligibility => ({ kind: 'skip', reason });

export interface Skipped {
  index: number;
  channel: ChannelId;
  reason: string;
}

export interface NextChannel {
  /** The rules passed over on the way, in order, with why. */
  skipped: Skipped[];
  /** The first rule from `from` whose channel can carry the message; absent when none is left. */
  next?: { index: number; rule: Rule; address: string };
}

/** Walks `rules` from index `from`: which channel to try next, and which were skipped and why. */
export function nextChannel(rules: readonly RuleInput[], from: number, context: RoutingContext): NextChannel {
  const skipped: Skipped[] = [];
  for (let index = from; index < rules.length; index += 1) {
    const input = rules[index];
    if (input === undefined) break;
    const rule = ruleOf(input);
    const verdict = eligibility(rule.channel, context);
    if (verdict.kind === 'send') return { skipped, next: { index, rule, address: verdict.address } };
    skipped.push({ index, channel: rule.channel, reason: verdict.reason });
  }
  return { skipped };
}
