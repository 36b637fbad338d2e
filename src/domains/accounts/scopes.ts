/** Every OAuth scope the API knows. A route names exactly one (the /webhooks routes accept any of several). */
export const SCOPES = [
  'continuity-settings:read',
  'continuity-settings:write',
  'continuity-settings-activation:read',
  'continuity-settings-activation:write',
  'flows:read',
  'flow-definitions:write',
  'flows-interactions:start',
  'cases-public:read',
  'cases-public:write',
  'messages:read',
  'messages:write',
  'callback:write',
  'callbacks:read',
  'directory:read',
  'directory:write',
  'telephony:route',
  'calls:read',
] as const;

export type Scope = (typeof SCOPES)[number];

const known = new Set<string>(SCOPES);
export const isScope = (value: string): value is Scope => known.has(value);
