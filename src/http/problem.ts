import type { FastifyReply } from 'fastify';
import type { ErrorCode, FieldProblem, ProblemExtensions } from '../kernel/errors.js';

/** The one table from error code to HTTP status and title. Adding a code fails to compile until it is here. */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  insufficient_scope: { status: 403, title: 'Insufficient scope' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  already_exists: { status: 409, title: 'Already exists' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused with a different request' },
  idempotency_key_in_progress: { status: 409, title: 'A request with this idempotency key is in progress' },
  unknown_skill: { status: 400, title: 'Unknown skill' },
  invalid_flow_definition: { status: 422, title: 'Flow definition is invalid' },
  flow_not_published: { status: 404, title: 'Flow has no published version' },
  closing_is_automatic: { status: 422, title: 'Cases are closed only by auto-close' },
  case_closed: { status: 409, title: 'Case is closed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  internal_error: { status: 500, title: 'Internal server error' },
} as const satisfies Record<ErrorCode, { status: number; title: string }>;

export interface Problem extends ProblemExtensions {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  fields?: FieldProblem[];
  request_id?: string;
}

export function problem(code: ErrorCode, detail: string, fields?: FieldProblem[]): Problem {
  const { status, title } = PROBLEMS[code];
  return { type: `/problems/${code}`, title, status, detail, code, ...(fields ? { fields } : {}) };
}

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(body.status).headers(headers).type('application/problem+json').send(body);
}
