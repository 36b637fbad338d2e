import { z } from 'zod';
import { canonicalTimeZone, isCountryCode, isTimeZone } from '../../kernel/phone.js';
import { SCOPES } from './scopes.js';

/** A name shown in lists and logs: one line of text, no control characters (a NUL or a newline forges log lines). */
const displayName = z.string().trim().min(1).max(200).regex(/^\P{Cc}*$/u, 'must not contain control characters such as newlines');

export const scopeList = z.array(z.enum(SCOPES)).min(1).describe('OAuth scopes granted');
/** The scopes a request grants: one named twice is granted (and stored) once. */
const grantedScopes = scopeList.transform((scopes) => [...new Set(scopes)]);

export const createAccountBody = z.strictObject({
  name: displayName,
  // Stored as IANA spells them (`europe/lisbon` is Europe/Lisbon; `pt` is PT), so they read back alike.
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone').transform(canonicalTimeZone).default('UTC'),
  default_country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .default('US'),
});

/** The log of admissions each limit keeps holds one entry per request in the last second, hence the cap. */
export const MAX_PER_SECOND = 1000;

export const limitsResponse = z.object({
  flows_interactions_per_second: z.number().int().describe('POST /flows/{flow_id}/interactions admitted per second, across all nodes'),
});

export const accountResponse = z.object({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  default_country: z.string(),
  limits: limitsResponse,
  created_at: z.string(),
});

export const createClientBody = z.strictObject({ name: displayName, scopes: grantedScopes });

export const limitsBody = z.strictObject({
  flows_interactions_per_second: z.number().int().min(1).max(MAX_PER_SECOND).optional(),
});

export const createServiceTokenBody = z.strictObject({
  name: displayName,
  scopes: grantedScopes,
  // Held and shown in UTC (API.md, Conventions), and compared as an instant, whatever offset it was written with.
  expires_at: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value).toISOString())
    .nullable()
    .default(null),
});

export const clientResponse = z.object({
  client_id: z.string(),
  name: z.string(),
  scopes: scopeList,
  created_at: z.string(),
  revoked_at: z.string().nullable().describe('When it was revoked: its secret and its access tokens no longer work'),
});

export const serviceTokenResponse = z.object({
  id: z.string(),
  name: z.string(),
  scopes: scopeList,
  expires_at: z.string().nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
});
