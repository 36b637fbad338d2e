import type { Scope } from '../accounts/index.js';
import type { DefinitionProblem, FlowDefinition } from './definition/index.js';

/**
 * A definition as the client last saved it. A draft is work in progress, so any JSON object is
 * kept; validation judges it, and only a valid one publishes.
 */
export type DraftDefinition = Record<string, unknown>;

/** Where a published version sits in its flow's history. */
export interface VersionRef {
  flow_version_id: string;
  /** 1, 2, 3... in publishing order, per flow. */
  version: number;
  published_at: string;
}

export interface Flow {
  id: string;
  name: string;
  description: string | null;
  draft: { definition: DraftDefinition; updated_at: string };
  /** The latest published version, the one `POST /flows/{flow_id}/interactions` runs; null until the first publish. */
  published_version: VersionRef | null;
  created_at: string;
  updated_at: string;
}

/** A published version: immutable, with the validated definition (defaults applied) it was published with. */
export interface FlowVersion extends VersionRef {
  flow_id: string;
  definition: FlowDefinition;
}

export interface FlowInput {
  name: string;
  description: string | null;
  definition: DraftDefinition;
}

/** The answer of `POST /flows/{flow_id}/validate`. */
export interface ValidationReport {
  valid: boolean;
  errors: DefinitionProblem[];
}

/** What starting the published version takes. */
export const INTERACTIONS_METHOD = 'POST';
export const INTERACTIONS_SCOPE = 'flows-interactions:start' satisfies Scope;
export const interactionsPath = (flowId: string): string => `/flows/${encodeURIComponent(flowId)}/interactions`;

/** What a caller must send to start the published version (`GET /flows/{flow_id}/request-details`). */
export interface RequestDetails {
  flow_id: string;
  flow_version_id: string;
  version: number;
  method: typeof INTERACTIONS_METHOD;
  url: string;
  path: string;
  scope: typeof INTERACTIONS_SCOPE;
  content_type: 'application/json';
  /** The body's fields: one string per argument, in declaration order. */
  arguments: { name: string; required: boolean }[];
  sample_request: {
    method: typeof INTERACTIONS_METHOD;
    url: string;
    headers: Record<string, string>;
    body: Record<string, string>;
  };
}
