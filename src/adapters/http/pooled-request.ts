import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { UNRESTRICTED, type EgressPolicy } from './egress.js';

/** A body past this is abandoned: providers answer a few hundred bytes of JSON. */
const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

/**
 * Idle connections close after this. Below the 5 s that Node (and many proxies) keep an idle
 * connection open, so a request rarely meets a connection the other end is closing.
 */
const IDLE_MS = 4_000;

/**
 * Connections to each origin kept open between requests (a worker calls the same providers many
 * times a second), per egress policy: a new connection resolves its host through the policy.
 */
const agentsByPolicy = new WeakMap<EgressPolicy, { http: HttpAgent; https: HttpsAgent }>();
function agentsFor(egress: EgressPolicy): { http: HttpAgent; https: HttpsAgent } {
  let agents = agentsByPolicy.get(egress);
  if (!agents) {
    const lookup = egress === UNRESTRICTED ? {} : { lookup: egress.lookup };
    agents = { http: new HttpAgent({ keepAlive: true, timeout: IDLE_MS, ...lookup }), https: new HttpsAgent({ keepAlive: true, timeout: IDLE_MS, ...lookup }) };
    agentsByPolicy.set(egress, agents);
  }
  return agents;
}

export interface PooledRequest {
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: string;
  /** Ends the exchange (connecting, sending, reading the answer); the request rejects with an `AbortError`. */
  signal: AbortSignal;
  /** Where the request may go; unrestricted when not given. */
  egress?: EgressPolicy;
}

export interface PooledAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP exchange over a kept-alive connection (node:http: no per-request streams, headers
 * objects or response wrappers, which made `fetch` the costliest part of a provider call). A
 * request written on a reused connection that the other end had just closed (ECONNRESET before
 * any answer) is sent again once on a new one, as Node's documentation recommends. Rejects on a
 * network failure or a body larger than 5 MiB; the answer's status is never an error here.
 */
export async function pooledRequest(url: string, request: PooledRequest): Promise<PooledAnswer> {
  try {
    return await exchange(url, request);
  } catch (error) {
    if (!(error instanceof StaleConnection)) throw error;
    return exchange(url, request);
  }
}

/** The connection was reused and reset before any answer: the request never reached the server's handler. */
class StaleConnection extends Error {}

function exchange(url: string, { method, headers, body, signal, egress = UNRESTRICTED }: PooledRequest): Promise<PooledAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  // A connection to an IP literal makes no lookup: checked here instead.
  egress.checkLiteral(target.hostname);
  const agents = agentsFor(egress);
  return new Promise((resolve, reject) => {
    let answered = false;
    const onAnswer = (response: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          outgoing.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    };
    const options = { method, headers, signal, agent: secure ? agents.https : agents.http };
    const outgoing: ClientRequest = secure ? httpsRequest(target, options, onAnswer) : httpRequest(target, options, onAnswer);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const stale = !answered && outgoing.reusedSocket && error.code === 'ECONNRESET' && !signal.aborted;
      reject(stale ? new StaleConnection(error.message, { cause: error }) : error);
    });
    outgoing.end(body);
  });
}
