/** Every stable problem code the API can answer with. `http/problem.ts` maps each to a status. */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'forbidden'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'idempotency_key_reused'
  | 'idempotency_key_in_progress'
  | 'unknown_skill'
  | 'invalid_flow_definition'
  | 'flow_not_published'
  | 'closing_is_automatic'
  | 'case_closed'
  | 'rate_limited'
  | 'service_unavailable'
  | 'internal_error';

export interface FieldProblem {
  name: string;
  description: string;
}

/** Extension members a problem may carry besides `code` and `fields` (RFC 9457, section 3.2). */
export interface ProblemExtensions {
  /** Every problem found in a flow definition, each shaped as `POST /flows/{flow_id}/validate` reports it. */
  errors?: readonly object[];
}

/** The one error type domains throw; the HTTP edge turns it into problem+json. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldProblem[],
    readonly headers?: Record<string, string>,
    readonly extensions?: ProblemExtensions,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string): DomainError => new DomainError('not_found', `${what} not found`);

export const invalid = (fields: FieldProblem[]): DomainError =>
  new DomainError('validation_failed', fields.map((f) => `${f.name} ${f.description}`).join('; '), fields);
