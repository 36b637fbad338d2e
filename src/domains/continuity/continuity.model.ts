export interface DowntimeMessage {
  downtime_message: string;
  language: string;
}

/** `forward` maps the account's numbers to external numbers; `default` covers every other number. */
export interface FallbackSettings {
  forward: Record<string, string>;
  message: DowntimeMessage | null;
  updated_at: string | null;
}

export interface Activation {
  enabled: boolean;
  changed_at: string | null;
  changed_by: string | null;
}

export interface AuditEntry {
  id: string;
  change: 'settings' | 'activation';
  actor: string;
  detail: Record<string, unknown>;
  created_at: string;
}

/** Everything the inbound-call decision reads, held in memory per account. */
export interface RoutingSnapshot {
  enabled: boolean;
  forward: ReadonlyMap<string, string>;
  defaultTarget: string | null;
  message: DowntimeMessage | null;
  inboundFlows: ReadonlyMap<string, string | null>;
}

export const DEFAULT_TARGET_KEY = 'default';
