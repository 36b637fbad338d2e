import type { ComponentConfig } from '../definition/definition.model.js';
import { describeFailure, requestWithRetry, type HttpRuntimeDeps, type RetryPolicy } from './http-retry.js';
import { toVariableValue } from './json-path-read.js';
import { renderTemplate } from './render-template.js';

export type SalesforceDataDipConfig = ComponentConfig<'salesforce_data_dip'>;

/** The REST API version queried; Salesforce keeps versions for years, and `query` is unchanged across them. */
export const SALESFORCE_API_VERSION = 'v62.0';

/** The data dip has no timeout or retry settings of its own; a query is safe to repeat. */
export const SALESFORCE_TIMEOUT_MS = 10_000;
export const SALESFORCE_RETRY: RetryPolicy = { max_retries: 2, backoff_ms: 500 };

export interface SalesforceDeps extends HttpRuntimeDeps {
  /** The access token a connection's `token_ref` names; rejects when there is none. */
  resolveToken(ref: string): Promise<string>;
}

/** What the execution report shows for a `salesforce_data_dip` step; never the token. */
export interface SalesforceDetail {
  instance_url: string;
  /** The rendered query. */
  soql: string;
  status: number | null;
  attempts: number;
  duration_ms: number;
  total_size?: number;
  error?: string;
}

export interface SalesforceResult {
  exit: 'found' | 'not_found' | 'error';
  /** The `output` fields of the first record that exist; set only on `found`. */
  variables: Record<string, string>;
  detail: SalesforceDetail;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Control characters have letter escapes; a quote or backslash is escaped by a backslash.
const SOQL_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * Makes a value safe inside a SOQL string literal (the SOQL reference's quoted-string escapes):
 * a customer's `O'Brien` stays a name and cannot end the literal and change the query.
 */
export const escapeSoql = (value: string): string => value.replace(/[\\'"\n\r\t\b\f]/g, (char) => SOQL_ESCAPES[char] ?? `\\${char}`);

/** `GET {instance}/services/data/vXX.X/query?q=...`, the documented query resource. */
export const queryUrl = (instanceUrl: string, soql: string): string =>
  `${instanceUrl.replace(/\/+$/, '')}/services/data/${SALESFORCE_API_VERSION}/query?q=${encodeURIComponent(soql)}`;

/** A key of a record, exact first; SOQL is case-insensitive, so `name` in a mapping finds `Name`. */
function field(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

/** Reads `Name` or a relationship path such as `Account.Owner.Email`; undefined when absent or null on the way. */
export function readField(record: unknown, path: string): unknown {
  let node = record;
  for (const name of path.split('.')) {
    if (!isRecord(node)) return undefined;
    node = field(node, name);
  }
  return node;
}

const failed = (detail: SalesforceDetail): SalesforceResult => ({ exit: 'error', variables: {}, detail });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

/** Salesforce errors are `[{ message, errorCode }]`; anything else is reported by status alone. */
function errorMessage(status: number, body: string): string {
  const parsed = parseJson(body);
  const errors = Array.isArray(parsed) ? parsed.filter(isRecord) : [];
  const described = errors
    .map((error) => [error.errorCode, error.message].filter((part) => typeof part === 'string').join(': '))
    .filter((text) => text !== '');
  return described.length > 0 ? `HTTP ${status}: ${described.join('; ')}` : `HTTP ${status}`;
}

/**
 * Runs a `salesforce_data_dip`: renders the SOQL (variable values escaped for string literals),
 * queries the connection's org with its resolved token, and leaves by `found` when `totalSize`
 * is above zero (outputs from the first record), `not_found` when it is zero, and `error` on a
 * token that does not resolve, a non-2xx answer, a body that is not a query result, or no answer.
 */
export async function runSalesforceDataDip(
  config: SalesforceDataDipConfig,
  vars: Readonly<Record<string, string>>,
  deps: SalesforceDeps,
): Promise<SalesforceResult> {
  const soql = renderTemplate(config.soql, vars, escapeSoql);
  const base = { instance_url: config.connection.instance_url, soql };
  let token: string;
  try {
    token = await deps.resolveToken(config.connection.token_ref);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failed({ ...base, status: null, attempts: 0, duration_ms: 0, error: `token_ref "${config.connection.token_ref}" did not resolve: ${reason}` });
  }

  const outcome = await requestWithRetry(
    {
      method: 'GET',
      url: queryUrl(config.connection.instance_url, soql),
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      timeoutMs: SALESFORCE_TIMEOUT_MS,
    },
    SALESFORCE_RETRY,
    deps,
  );
  const timing = { attempts: outcome.attempts, duration_ms: outcome.duration_ms };
  if (outcome.response === null) {
    return failed({ ...base, status: null, ...timing, error: describeFailure(outcome.failure) });
  }
  const { status, body } = outcome.response;
  if (status < 200 || status > 299) {
    return failed({ ...base, status, ...timing, error: errorMessage(status, body) });
  }
  const result = parseJson(body);
  if (!isRecord(result) || typeof result.totalSize !== 'number' || !Array.isArray(result.records)) {
    return failed({ ...base, status, ...timing, error: 'the response is not a query result' });
  }
  const detail = { ...base, status, ...timing, total_size: result.totalSize };
  if (result.totalSize === 0) return { exit: 'not_found', variables: {}, detail };

  const first: unknown = result.records[0];
  const variables: Record<string, string> = {};
  for (const [variable, path] of Object.entries(config.output)) {
    const value = readField(first, path);
    if (value !== undefined) variables[variable] = toVariableValue(value);
  }
  return { exit: 'found', variables, detail };
}
