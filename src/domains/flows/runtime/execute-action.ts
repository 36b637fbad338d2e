import type { ComponentConfig } from '../definition/definition.model.js';
import { describeFailure, requestWithRetry, type HttpRuntimeDeps } from './http-retry.js';
import { readJsonPath, toVariableValue } from './json-path-read.js';
import { renderTemplate, renderUrlTemplate } from './render-template.js';

export type ExecuteActionConfig = ComponentConfig<'execute_action'>;

type Variables = Readonly<Record<string, string>>;

/** What the execution report shows for an `execute_action` step. */
export interface ExecuteActionDetail {
  method: ExecuteActionConfig['method'];
  /** The rendered URL. */
  url: string;
  /** The last response's status; null when no response came. */
  status: number | null;
  attempts: number;
  duration_ms: number;
  error?: string;
}

export interface ExecuteActionResult {
  exit: 'success' | 'failure';
  /** The `output` variables that resolved; set only on `success`. */
  variables: Record<string, string>;
  detail: ExecuteActionDetail;
}

/** Every string inside the JSON body is a template; keys and other values are left alone. */
function renderJson(value: unknown, vars: Variables): unknown {
  if (typeof value === 'string') return renderTemplate(value, vars);
  if (Array.isArray(value)) return value.map((item) => renderJson(item, vars));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderJson(item, vars)]));
  }
  return value;
}

const hasHeader = (headers: Readonly<Record<string, string>>, name: string): boolean =>
  Object.keys(headers).some((key) => key.toLowerCase() === name);

/**
 * The wire body and its default content type. A string body is sent as its rendered text (form
 * data, plain text, XML); anything else is JSON. GET sends no body: fetch, like most servers,
 * does not allow one.
 */
function bodyFor(config: ExecuteActionConfig, vars: Variables): { body?: string; contentType?: string } {
  if (config.body === undefined || config.method === 'GET') return {};
  const rendered = renderJson(config.body, vars);
  if (typeof rendered === 'string') return { body: rendered, contentType: 'text/plain; charset=utf-8' };
  return { body: JSON.stringify(rendered), contentType: 'application/json' };
}

const failure = (detail: ExecuteActionDetail): ExecuteActionResult => ({ exit: 'failure', variables: {}, detail });

const isHttpUrl = (url: string): boolean => URL.canParse(url) && ['http:', 'https:'].includes(new URL(url).protocol);

/** The response as a document for JSON paths: parsed JSON, or the raw text (which only `$` reads). */
function documentOf(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** The `output` mapping; a path that does not resolve leaves its variable unset. */
function mapOutputs(output: ExecuteActionConfig['output'], body: string): Record<string, string> {
  const entries = Object.entries(output);
  if (entries.length === 0) return {};
  const document = documentOf(body);
  const variables: Record<string, string> = {};
  for (const [variable, path] of entries) {
    const value = readJsonPath(document, path);
    if (value !== undefined) variables[variable] = toVariableValue(value);
  }
  return variables;
}

/**
 * Runs an `execute_action` component: renders the URL, headers and body from `vars`, sends the
 * request with the configured timeout and retries (5xx, timeouts and network failures, with
 * exponential backoff on the injected clock), each attempt with the step's `idempotencyKey` as
 * its `Idempotency-Key` unless the definition sets that header, and leaves by `success` on a
 * 2xx, whose JSON body feeds the `output` mapping, or by `failure` on anything else.
 */
export async function runExecuteAction(config: ExecuteActionConfig, vars: Variables, deps: HttpRuntimeDeps, idempotencyKey?: string): Promise<ExecuteActionResult> {
  const url = renderUrlTemplate(config.url, vars);
  const base = { method: config.method, url };
  if (!isHttpUrl(url)) {
    return failure({ ...base, status: null, attempts: 0, duration_ms: 0, error: 'the rendered URL is not an http(s) URL' });
  }
  const headers = Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [name, renderTemplate(value, vars)]));
  const { body, contentType } = bodyFor(config, vars);
  if (contentType !== undefined && !hasHeader(headers, 'content-type')) headers['content-type'] = contentType;
  // A retry after a timeout may repeat a request the server did carry out: one key for every
  // attempt of the step (and for the step run again after its node died) lets it tell.
  if (idempotencyKey !== undefined && !hasHeader(headers, 'idempotency-key')) headers['idempotency-key'] = idempotencyKey;

  const outcome = await requestWithRetry(
    { method: config.method, url, headers, ...(body === undefined ? {} : { body }), timeoutMs: config.timeout_ms },
    config.retry,
    deps,
  );
  const timing = { attempts: outcome.attempts, duration_ms: outcome.duration_ms };
  if (outcome.response === null) {
    return failure({ ...base, status: null, ...timing, error: describeFailure(outcome.failure) });
  }
  const { status } = outcome.response;
  if (status < 200 || status > 299) {
    return failure({ ...base, status, ...timing, error: `HTTP ${status}` });
  }
  return { exit: 'success', variables: mapOutputs(config.output, outcome.response.body), detail: { ...base, status, ...timing } };
}
