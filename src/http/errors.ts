import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, type FieldProblem } from '../kernel/errors.js';
import { isStorageUnavailable } from '../ports/storage.js';
import { problem, sendProblem } from './problem.js';

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword?: string;
  params?: { keys?: unknown };
}

/** `/forward/+1415` in the `body` becomes `forward.+1415`; query and path names keep their names. */
function fieldsOf(issues: ValidationIssue[], context: string | undefined): FieldProblem[] {
  return issues.flatMap((issue) => {
    const path = issue.instancePath.split('/').filter((p) => p !== '').join('.');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params?.keys)) {
      return issue.params.keys.map((key) => ({ name: path ? `${path}.${String(key)}` : String(key), description: 'is not a known field' }));
    }
    const name = path || (context === 'body' ? 'body' : (context ?? 'request'));
    return [{ name, description: issue.message ?? 'is invalid' }];
  });
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    return sendProblem(reply, { ...problem(error.code, error.message, error.fields), ...error.extensions }, error.headers);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields = fieldsOf(error.validation as ValidationIssue[], error.validationContext);
    const detail = fields.map((f) => `${f.name} ${f.description}`).join('; ');
    return sendProblem(reply, problem('validation_failed', detail, fields));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(reply, problem('payload_too_large', 'the request body is larger than this endpoint accepts'));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, problem('malformed_json', 'the request body is not valid JSON'));
    case 'FST_ERR_BAD_URL':
      return sendProblem(reply, problem('validation_failed', 'the request path is not a valid URL', [{ name: 'path', description: 'is not a valid URL component' }]));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(reply, problem('unsupported_media_type', `unsupported content type: ${request.headers['content-type'] ?? 'none'}`));
    default:
      break;
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return sendProblem(reply, problem('malformed_json', 'the request body is not valid JSON'));
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    const code = error.statusCode === 404 ? 'not_found' : error.statusCode === 413 ? 'payload_too_large' : 'validation_failed';
    const fields = code === 'validation_failed' ? [{ name: 'request', description: error.message }] : undefined;
    return sendProblem(reply, problem(code, error.message, fields));
  }
  if (isStorageUnavailable(error)) {
    request.log.warn({ err: error }, 'the database is unreachable');
    return sendProblem(reply, { ...problem('service_unavailable', `the database is unreachable; retry shortly (request id ${request.id})`), request_id: request.id }, { 'retry-after': '5' });
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, { ...problem('internal_error', `an internal error occurred; quote request id ${request.id}`), request_id: request.id });
}
