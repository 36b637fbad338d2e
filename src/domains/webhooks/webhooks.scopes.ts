import { DomainError } from '../../kernel/errors.js';
import type { Scope } from '../accounts/index.js';
import { familiesOf, type EventFamily } from './webhooks.model.js';

/**
 * An endpoint receives its events' data, so subscribing to a family takes a scope of the
 * resource the family is about (reading or writing it). The first scope of each is the one a
 * refusal names.
 */
export const FAMILY_SCOPES = {
  message: ['messages:read', 'messages:write'],
  case: ['cases-public:read', 'cases-public:write'],
  interaction: ['flows:read', 'flows-interactions:start'],
  callback: ['callbacks:read', 'callback:write'],
  continuity: ['continuity-settings-activation:read', 'continuity-settings:read', 'continuity-settings-activation:write', 'continuity-settings:write'],
} as const satisfies Record<EventFamily, readonly [Scope, ...Scope[]]>;

/** Any one of these lets a token use the `/webhooks` routes at all. */
export const WEBHOOK_SCOPES: readonly Scope[] = Object.values(FAMILY_SCOPES).flat();

/** Fails with 403 `insufficient_scope` unless `granted` holds a scope of every family `patterns` name. */
export function requireFamilyScopes(patterns: readonly string[], granted: ReadonlySet<string>): void {
  for (const family of familiesOf(patterns)) {
    const accepted: readonly Scope[] = FAMILY_SCOPES[family];
    if (accepted.some((scope) => granted.has(scope))) continue;
    throw new DomainError('insufficient_scope', `${family}.* events need one of the scopes ${accepted.join(', ')}`, undefined, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${accepted[0] ?? ''}"`,
    });
  }
}
