import { readFileSync } from 'node:fs';
import { createApp, type Switchboard } from '../src/app.js';
import { parseEnv } from '../src/config/config.js';
import { createLogger } from '../src/kernel/logger.js';
import type { PhoneScript } from '../src/adapters/telephony/simulated/index.js';
import type { CallControl } from '../src/ports/telephony.js';
import type { TextToSpeech } from '../src/ports/tts.js';
import { api } from './callbacks-seed.js';
import { ADMIN_TOKEN, SIGNING_SECRET } from './continuity.js';

/**
 * The flows benchmark's world: one account with the example flow of API.md published (read from
 * its fixture file, `test/fixtures/flows/good/api-md-example.json`), customers whose phones answer
 * at once and hang up as soon as they are connected, agents who answer at once, and the account's
 * start limit raised to the most the API allows. Everything is set up through the public API.
 */
export const EXAMPLE_FILE = new URL('../test/fixtures/flows/good/api-md-example.json', import.meta.url);
export const TOUCHPOINT = '+14155550100';
/** The most `PATCH /admin/accounts/{id}/limits` accepts for `flows_interactions_per_second`. */
export const START_LIMIT = 1000;
export const CUSTOMERS = 100;
export const AGENTS = 10;
export const customer = (i: number) => `+1385555${String(1000 + (i % CUSTOMERS)).padStart(4, '0')}`;
export const agent = (i: number) => `+1415555${String(7000 + (i % AGENTS)).padStart(4, '0')}`;
/** Its phone rings until the ring timeout: the memory measurement's waiting interactions. */
export const RINGING_CUSTOMER = '+13855559999';
/** Busy: an interaction calling it ends at once (warm-ups). */
export const BUSY_CUSTOMER = '+13855550000';
/** The path every benchmark interaction must take, as `component:exit` per step. */
export const EXPECTED_PATH = ['call_customer:answered', 'announce:next', 'call_agent:connected'];

export const CUSTOMER_SCRIPT: PhoneScript = { behavior: 'answer', answer_after_s: 0, talk_s: 0 };
export const AGENT_SCRIPT: PhoneScript = { behavior: 'answer', answer_after_s: 0 };

export interface FlowDefinitionJson {
  components: { id: string; type: string; config?: Record<string, unknown> }[];
  [key: string]: unknown;
}

export function exampleDefinition(): FlowDefinitionJson {
  return JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as FlowDefinitionJson;
}

/** The example with the customer's ring timeout at its maximum (35 s), so 10,000 calls can ring at once. */
export function longRingDefinition(): FlowDefinitionJson {
  const definition = exampleDefinition();
  for (const component of definition.components) {
    if (component.type === 'make_outbound_call') component.config = { ...component.config, ring_timeout_s: 35 };
  }
  return definition;
}

/** The example's message, as the play_audio component says it (the path check compares it). */
export function exampleMessage(): string {
  const announce = exampleDefinition().components.find((c) => c.type === 'play_audio');
  const tts = announce?.config?.tts as { text?: string } | undefined;
  if (!tts?.text) throw new Error(`${EXAMPLE_FILE.pathname} has no play_audio with a tts text`);
  return tts.text;
}

export interface FlowFixture {
  accountId: string;
  token: string;
  flowId: string;
  /** The example with a 35 s customer ring timeout (published too). */
  longRingFlowId: string;
}

/** The arguments of interaction `i`: customers and agents taken in turn. */
export const startArguments = (i: number) => ({ contact_1: customer(i), contact_2: agent(i) });

/** The app's log level: silent unless BENCH_LOG_LEVEL says otherwise (to see why a request failed). */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'silent';

/**
 * An in-process Switchboard (worker on, logging off) on `databaseUrl` with the TTS adapter `tts`
 * (the ceiling uses the same one), its telephony adapter wrapped by `telephony` when given.
 */
export async function flowsApp(databaseUrl: string, dataDir: string, tts: TextToSpeech, telephony?: (adapter: CallControl) => CallControl): Promise<Switchboard> {
  const config = {
    ...parseEnv({ DATABASE_URL: databaseUrl, SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN, SWITCHBOARD_WORKER: 'true', LOG_LEVEL: LOG_LEVEL, SWITCHBOARD_DATA_DIR: dataDir }),
    signingSecret: SIGNING_SECRET,
  };
  return createApp(config, { logger: createLogger(LOG_LEVEL), tts, ...(telephony ? { telephony } : {}) });
}

/** Account, token, touchpoint number, scripted phones, both flows published, the start limit raised. */
export async function setUpFlows(app: Switchboard): Promise<FlowFixture> {
  const account = await api(app, 201, 'POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Flows benchmark' });
  const accountId = String(account.id);
  const scopes = ['directory:write', 'telephony:route', 'flow-definitions:write', 'flows:read', 'flows-interactions:start', 'calls:read'];
  const client = await api(app, 201, 'POST', `/admin/accounts/${accountId}/clients`, ADMIN_TOKEN, { name: 'bench', scopes });
  const issued = await api(app, 200, 'POST', '/oauth/token', '', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret });
  const token = String(issued.access_token);
  await api(app, 201, 'POST', '/numbers', token, { number: TOUCHPOINT, name: 'Main line' });
  for (let i = 0; i < CUSTOMERS; i++) await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(customer(i))}`, token, CUSTOMER_SCRIPT);
  for (let i = 0; i < AGENTS; i++) await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(agent(i))}`, token, AGENT_SCRIPT);
  await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(RINGING_CUSTOMER)}`, token, { behavior: 'no_answer' });
  await api(app, 200, 'PUT', `/sim/phones/${encodeURIComponent(BUSY_CUSTOMER)}`, token, { behavior: 'busy' });
  const publish = async (name: string, definition: FlowDefinitionJson) => {
    const flow = await api(app, 201, 'POST', '/flows', token, { name, definition });
    await api(app, 201, 'POST', `/flows/${String(flow.id)}/publish`, token);
    return String(flow.id);
  };
  const flowId = await publish('API.md example', exampleDefinition());
  const longRingFlowId = await publish('API.md example, 35 s ring timeout', longRingDefinition());
  const limits = await api(app, 200, 'PATCH', `/admin/accounts/${accountId}/limits`, ADMIN_TOKEN, { flows_interactions_per_second: START_LIMIT });
  if (limits.flows_interactions_per_second !== START_LIMIT) throw new Error(`the start limit reads ${JSON.stringify(limits)} after raising it to ${START_LIMIT}`);
  return { accountId, token, flowId, longRingFlowId };
}
