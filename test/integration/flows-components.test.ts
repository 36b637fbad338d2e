import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stickyRoll } from '../../src/domains/flows/runtime/evaluate-traffic-splitter.js';
import { json, refusedUrl, startTestHttpServer, type ReceivedRequest, type TestHttpServer } from '../../src/domains/flows/runtime/test-http-server.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { eventually } from '../support/eventually.js';
import { ADMIN_TOKEN, DATABASES, databaseUrl, TestApp, type TestAccount } from '../support/harness.js';
import { IsolatedSchema } from '../support/isolated-schema.js';
import { ServerProcess } from '../support/server-process.js';
import { VirtualTime } from '../support/virtual-time.js';

/**
 * Every component type run for real through the public API: a flow is published, started with
 * POST /flows/{id}/interactions and watched until it ends, then the exits taken and each step's
 * detail are checked, together with what the outside world saw (the call log, the callback queue,
 * the requests a local HTTP(S) server received).
 */

const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855551234';
const AGENT = '+14155557001';
const SKILL = 'Online Requests';

interface Component {
  id: string;
  type: string;
  config?: Record<string, unknown>;
  exits?: Record<string, string>;
}

interface Argument {
  name: string;
  variable: string;
  required: boolean;
}

interface StepView {
  component: string;
  type: string;
  exit: string | null;
  started_at: string;
  ended_at: string;
  detail: Record<string, any>;
}

interface InteractionView {
  status: string;
  reason: string | null;
  steps: StepView[];
  variables: Record<string, string>;
}

interface CallView {
  outcome: string | null;
  events: { type: string; text?: string; language?: string; digits?: string; by?: string }[];
}

const END: Component = { id: 'end', type: 'end_flow' };

/** An argument `name` landing in the variable of the same name. */
const arg = (name: string, required = true): Argument => ({ name, variable: name, required });

/** A flow that dials the customer and, once they answer, runs `components` from the first one; any other outcome ends it. */
function callingFlow(components: Component[], options: { arguments?: Argument[]; variables?: Record<string, string> } = {}) {
  return {
    trigger: { type: 'api', arguments: [{ name: 'customer', variable: 'customer_number', required: true }, ...(options.arguments ?? [])] },
    variables: options.variables ?? {},
    start: 'call',
    components: [
      { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer_number}}' }, exits: { answered: components[0]?.id ?? 'end', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
      ...components,
      END,
    ],
  };
}

/** A flow without a call, starting at the first of `components`. */
function plainFlow(components: Component[], options: { arguments?: Argument[]; variables?: Record<string, string> } = {}) {
  return {
    trigger: { type: 'api', arguments: options.arguments ?? [] },
    variables: options.variables ?? {},
    start: components[0]?.id ?? 'end',
    components: [...components, END],
  };
}

const path = (steps: StepView[]) => steps.map((s) => `${s.component}:${s.exit ?? '-'}`);
const step = (interaction: InteractionView, component: string): StepView => {
  const found = interaction.steps.find((s) => s.component === component);
  if (!found) throw new Error(`no step ${component} in ${path(interaction.steps).join(' ')}`);
  return found;
};
const durationMs = (s: StepView) => Date.parse(s.ended_at) - Date.parse(s.started_at);

describe.each(DATABASES)('flow components behave for real (%s)', (db) => {
  let t: TestApp;
  let time: VirtualTime;
  let api: TestHttpServer;
  /** How many requests each path of the local API server has had, for answers that change over time. */
  const hits = new Map<string, number>();
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
    time = new VirtualTime(clock, t.app.worker);
    api = await startTestHttpServer((request) => {
      const url = new URL(request.url, 'http://local');
      const seen = (hits.get(url.pathname) ?? 0) + 1;
      hits.set(url.pathname, seen);
      if (/^\/customers\/[^/]+\/lookup$/.test(url.pathname) && request.method === 'POST') {
        if (request.headers['x-api-key'] !== 'key-c-42') return json(401, { error: 'bad key' });
        return json(200, { data: { tier: 'gold', id: 'c-42' }, orders: [{ id: 'ord-77' }, { id: 'ord-12' }] });
      }
      if (url.pathname === '/report') return { status: 204 };
      // Down twice, then up: the retries get through.
      if (url.pathname.startsWith('/flaky/')) return seen <= 2 ? json(503, { error: 'unavailable' }) : json(200, { ok: true, attempt: seen });
      if (url.pathname === '/broken') return json(500, { error: 'boom' });
      if (url.pathname === '/hang') return 'hang';
      return json(404, { error: 'not found' });
    });
  });
  afterAll(async () => {
    await time.stop();
    await t.close();
    await api.close();
  });

  async function account(): Promise<TestAccount> {
    const acct = await t.newAccount();
    expect((await t.post('/numbers', { number: TOUCHPOINT, name: 'Main line' }, acct.token)).status).toBe(201);
    // Tests start interactions back to back: lift the default 2 starts per second.
    expect((await t.patch(`/admin/accounts/${acct.id}/limits`, { flows_interactions_per_second: 1000 }, ADMIN_TOKEN)).status).toBe(200);
    return acct;
  }
  async function publish(acct: TestAccount, definition: unknown): Promise<string> {
    const flow = await t.post('/flows', { name: 'Components', definition }, acct.token);
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    const version = await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token);
    expect(version.status, JSON.stringify(version.body)).toBe(201);
    return flow.body.id as string;
  }
  const script = async (acct: TestAccount, number: string, behaviour: Record<string, unknown>) =>
    expect((await t.put(`/sim/phones/${number}`, behaviour, acct.token)).status).toBe(200);
  async function start(acct: TestAccount, flowId: string, args: Record<string, string>): Promise<string> {
    const started = await t.post(`/flows/${flowId}/interactions`, args, acct.token);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return started.body.interaction_id as string;
  }
  /**
   * Lets virtual time pass until the interaction ends. Bounded on the wall clock, not in virtual
   * seconds: some components (the sandbox, HTTP timeouts) take real time while virtual time runs on.
   */
  const finished = (acct: TestAccount, id: string) =>
    eventually(async () => {
      const interaction = (await t.get(`/interactions/${id}`, acct.token)).body;
      if (interaction.status === 'running') await time.pass(1);
      expect(interaction.status).not.toBe('running');
      return interaction as InteractionView;
    }, 30_000, 1);
  /** Publishes `definition`, starts it once with `args` and waits for the interaction to end. */
  async function run(acct: TestAccount, definition: unknown, args: Record<string, string> = {}): Promise<InteractionView> {
    return finished(acct, await start(acct, await publish(acct, definition), args));
  }
  /** The customer's leg in the call log, from the make_outbound_call step. */
  async function customerCall(acct: TestAccount, interaction: InteractionView): Promise<CallView> {
    const callId = step(interaction, 'call').detail.call_id as string;
    const call = await t.get(`/calls/${callId}`, acct.token);
    expect(call.status).toBe(200);
    return call.body as CallView;
  }

  describe('make_outbound_call and forward_to_external_number', () => {
    it('fails instead of dialling from a touchpoint number the account deleted after publishing', async () => {
      const acct = await account();
      const flowId = await publish(acct, callingFlow([]));
      expect((await t.delete(`/numbers/${encodeURIComponent(TOUCHPOINT)}`, acct.token)).status).toBe(204);
      const done = await finished(acct, await start(acct, flowId, { customer: CUSTOMER }));
      expect(done.status).toBe('failed');
      expect(done.reason).toContain(`${TOUCHPOINT} is no longer one of the account's numbers`);
      expect((await t.get('/calls', acct.token)).body.total).toBe(0);
    });

    it("reads a number written without + in the account's country, as API.md's default_country says", async () => {
      const acct = await account();
      const flowId = await publish(acct, callingFlow([]));
      await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 1 });
      const done = await finished(acct, await start(acct, flowId, { customer: '(385) 555-1234' }));
      expect(path(done.steps)).toEqual(['call:answered', 'end:-']);
      expect(done.steps[0]?.detail).toMatchObject({ to: CUSTOMER });
      expect(done.variables.contact_number).toBe(CUSTOMER);
    });

    it('dials the templated number and reports the outcome, a phone answering after the ring timeout being no_answer', async () => {
      const acct = await account();
      const definition = {
        trigger: { type: 'api', arguments: [arg('customer_number')] },
        start: 'call',
        components: [
          { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: ' {{customer_number}} ', ring_timeout_s: 10 }, exits: { answered: 'end', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
          END,
        ],
      };
      const flowId = await publish(acct, definition);
      await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 12 });
      const late = await finished(acct, await start(acct, flowId, { customer_number: CUSTOMER }));
      expect(path(late.steps)).toEqual(['call:no_answer', 'end:-']);
      expect(late.steps[0]?.detail).toMatchObject({ from: TOUCHPOINT, to: CUSTOMER, ring_timeout_s: 10, outcome: 'no_answer' });
      expect(durationMs(late.steps[0]!)).toBeGreaterThanOrEqual(10_000);
      expect((await customerCall(acct, late)).outcome).toBe('no_answer');

      await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 5 });
      const answered = await finished(acct, await start(acct, flowId, { customer_number: CUSTOMER }));
      expect(path(answered.steps)).toEqual(['call:answered', 'end:-']);
      expect(answered.variables).toMatchObject({ contact_number: CUSTOMER, touchpoint_number: TOUCHPOINT });
      const call = await customerCall(acct, answered);
      expect(call.outcome).toBe('completed');
      expect(call.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'hangup']);
    });

    it.each([
      ['busy, with the busy exit wired', { behavior: 'busy' }, { busy: 'sorry' }, 'busy'],
      ['busy, with the busy exit left out (it leaves by no_answer)', { behavior: 'busy' }, {}, 'no_answer'],
      ['not answering', { behavior: 'no_answer' }, { busy: 'sorry' }, 'no_answer'],
    ])('forwards to an agent who is %s', async (_name, agent, busyExit, exit) => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      await script(acct, AGENT, agent);
      const done = await run(
        acct,
        callingFlow(
          [
            { id: 'forward', type: 'forward_to_external_number', config: { number: '{{agent}}', caller_id: 'touchpoint', ring_timeout_s: 20 }, exits: { no_answer: 'sorry', invalid_number: 'end', ...busyExit } },
            { id: 'sorry', type: 'play_audio', config: { tts: { text: 'Nobody is free right now.', language: 'en-US' } }, exits: { next: 'end' } },
          ],
          { arguments: [arg('agent')] },
        ),
        { customer: CUSTOMER, agent: AGENT },
      );
      expect(path(done.steps)).toEqual(['call:answered', `forward:${exit}`, 'sorry:next', 'end:-']);
      expect(step(done, 'forward').detail).toMatchObject({ number: AGENT, caller_id: TOUCHPOINT, ring_timeout_s: 20 });
    });

    it('connects the forward (caller id: the touchpoint) and ends the flow there; a malformed number is invalid_number', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1, talk_s: 30 });
      await script(acct, AGENT, { answer_after_s: 2 });
      const definition = callingFlow(
        [{ id: 'forward', type: 'forward_to_external_number', config: { number: '{{agent}}', caller_id: 'touchpoint' }, exits: { no_answer: 'end', invalid_number: 'end' } }],
        { arguments: [arg('agent')] },
      );
      const flowId = await publish(acct, definition);
      const connected = await finished(acct, await start(acct, flowId, { customer: CUSTOMER, agent: AGENT }));
      expect(connected.status).toBe('completed');
      expect(path(connected.steps)).toEqual(['call:answered', 'forward:connected']);
      expect(step(connected, 'forward').detail).toMatchObject({ number: AGENT, caller_id: TOUCHPOINT, outcome: 'answered', connected: true, ring_timeout_s: 15 });
      expect((await customerCall(acct, connected)).outcome).toBe('forwarded');

      const invalid = await finished(acct, await start(acct, flowId, { customer: CUSTOMER, agent: '12345' }));
      expect(path(invalid.steps)).toEqual(['call:answered', 'forward:invalid_number', 'end:-']);
      expect(step(invalid, 'forward').detail).toMatchObject({ number: '12345', outcome: 'invalid_number' });
    });
  });

  describe('play_audio', () => {
    it('renders TTS with its text and language (in the step and in the call log), then plays a recording by URL', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const done = await run(
        acct,
        callingFlow(
          [
            { id: 'hello', type: 'play_audio', config: { tts: { text: 'Olá {{name}}, obrigado por ligar.', language: 'pt-PT' } }, exits: { next: 'jingle' } },
            { id: 'jingle', type: 'play_audio', config: { audio_url: 'https://media.example.com/flows/{{flow_id}}/jingle.wav' }, exits: { next: 'end' } },
          ],
          { arguments: [arg('name')] },
        ),
        { customer: CUSTOMER, name: 'Ana' },
      );
      expect(done.status).toBe('completed');
      expect(path(done.steps)).toEqual(['call:answered', 'hello:next', 'jingle:next', 'end:-']);
      const hello = step(done, 'hello');
      expect(hello.detail).toMatchObject({ text: 'Olá Ana, obrigado por ligar.', language: 'pt-PT' });
      expect(hello.detail.audio_bytes).toBeGreaterThan(0);
      // The simulated network holds the call while the text is spoken (five words: two seconds).
      expect(durationMs(hello)).toBeGreaterThanOrEqual(2000);
      const url = `https://media.example.com/flows/${done.variables.flow_id}/jingle.wav`;
      expect(step(done, 'jingle').detail).toEqual({ audio_url: url });

      const call = await customerCall(acct, done);
      expect(call.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'played', 'hangup']);
      expect(call.events.filter((e) => e.type === 'played').map(({ text, language }) => ({ text, language }))).toEqual([
        { text: 'Olá Ana, obrigado por ligar.', language: 'pt-PT' },
        { text: url, language: '' },
      ]);
      expect(call.outcome).toBe('completed');
    });

    it("speaks the catalogue's spelling of a language tag, and refuses to publish a prompt in a language it has no voice for", async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const say = (language: string) => callingFlow([{ id: 'say', type: 'play_audio', config: { tts: { text: 'Good morning.', language } }, exits: { next: 'end' } }]);
      const british = await run(acct, say('EN-gb'), { customer: CUSTOMER });
      expect(path(british.steps)).toEqual(['call:answered', 'say:next', 'end:-']);
      expect(step(british, 'say').detail).toMatchObject({ text: 'Good morning.', language: 'en-GB' });

      // "tlh" is a well-formed tag, but no voice could ever speak it: the draft does not publish.
      const flow = await t.post('/flows', { name: 'Klingon', definition: say('tlh') }, acct.token);
      const refused = await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([expect.objectContaining({ code: 'unsupported_language', component: 'say', path: '$.components[1].config.tts.language' })]);
    });
  });

  describe('input_ivr', () => {
    const asking = (config: Record<string, unknown>) =>
      callingFlow([
        {
          id: 'ask',
          type: 'input_ivr',
          config: { prompt: { tts: { text: 'Please enter your account number, then the hash key.', language: 'en-US' } }, variable: 'account', ...config },
          exits: { next: 'confirm', timeout: 'end', invalid: 'end' },
        },
        { id: 'confirm', type: 'play_audio', config: { tts: { text: 'You entered {{account}}.', language: 'en-US' } }, exits: { next: 'end' } },
      ]);

    it('collects the digits typed before the terminator into a variable a later prompt reads', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { dtmf: '1234#99' });
      const done = await run(acct, asking({ min_digits: 3, max_digits: 6, terminator: '#', timeout_s: 3, max_attempts: 2 }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'ask:next', 'confirm:next', 'end:-']);
      expect(step(done, 'ask').detail).toMatchObject({ text: 'Please enter your account number, then the hash key.', language: 'en-US', digits: '1234', attempts: 1 });
      expect(done.variables.account).toBe('1234');
      expect(step(done, 'confirm').detail.text).toBe('You entered 1234.');
      const call = await customerCall(acct, done);
      expect(call.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'dtmf', 'played', 'hangup']);
      expect(call.events.find((e) => e.type === 'dtmf')?.digits).toBe('1234');
    });

    it('stops at max_digits when there is no terminator', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { dtmf: '987654' });
      const done = await run(acct, asking({ min_digits: 2, max_digits: 4, terminator: null }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'ask:next', 'confirm:next', 'end:-']);
      expect(step(done, 'ask').detail).toMatchObject({ digits: '9876', attempts: 1 });
      expect(step(done, 'confirm').detail.text).toBe('You entered 9876.');
    });

    it('leaves by timeout when no key is pressed, after every attempt waited timeout_s', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const done = await run(acct, asking({ timeout_s: 4, max_attempts: 2 }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'ask:timeout', 'end:-']);
      const ask = step(done, 'ask');
      expect(ask.detail).toMatchObject({ digits: '', attempts: 2 });
      expect(durationMs(ask)).toBeGreaterThanOrEqual(2 * 4000);
      expect(done.variables.account).toBeUndefined();
      expect((await customerCall(acct, done)).events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'played', 'hangup']);
    });

    it('leaves by invalid when too few digits come, attempt after attempt, each attempt reading the keys after the last', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { dtmf: '12#345#6#' });
      const done = await run(acct, asking({ min_digits: 4, max_digits: 8, terminator: '#', max_attempts: 3 }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'ask:invalid', 'end:-']);
      expect(step(done, 'ask').detail).toMatchObject({ digits: '6', attempts: 3 });
      // The prompt is said again before each attempt, and the call log shows it each time.
      const events = (await customerCall(acct, done)).events.filter((e) => e.type === 'played' || e.type === 'dtmf');
      expect(events.map((e) => `${e.type} ${e.digits ?? e.text}`)).toEqual([
        'played Please enter your account number, then the hash key.', 'dtmf 12',
        'played Please enter your account number, then the hash key.', 'dtmf 345',
        'played Please enter your account number, then the hash key.', 'dtmf 6',
      ]);
    });

    it('takes a number typed right on a later attempt after a short one', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { dtmf: '12#4567#' });
      const done = await run(acct, asking({ min_digits: 4, max_digits: 8, terminator: '#', max_attempts: 2 }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'ask:next', 'confirm:next', 'end:-']);
      expect(step(done, 'ask').detail).toMatchObject({ digits: '4567', attempts: 2 });
      expect(done.variables.account).toBe('4567');
    });
  });

  describe('standard_ivr', () => {
    const menu = callingFlow([
      {
        id: 'menu',
        type: 'standard_ivr',
        config: { prompt: { tts: { text: 'For sales press 1, for support press 2 or 3.', language: 'en-US' } }, options: { '1': 'sales', '2': 'support', '3': 'support' }, timeout_s: 3, max_attempts: 2 },
        exits: { sales: 'end', support: 'end', timeout: 'end', invalid: 'end' },
      },
    ]);

    it.each([
      ['a menu key leaves by its option', { dtmf: '3' }, 'support', { digits: '3', attempts: 1 }, ['played', 'dtmf 3']],
      ['an unknown key, every attempt, leaves by invalid', { dtmf: '99' }, 'invalid', { digits: '9', attempts: 2 }, ['played', 'dtmf 9', 'played', 'dtmf 9']],
      ['a wrong key, then a menu key on the next attempt, leaves by its option', { dtmf: '71' }, 'sales', { digits: '1', attempts: 2 }, ['played', 'dtmf 7', 'played', 'dtmf 1']],
      ['no key leaves by timeout', { answer_after_s: 1 }, 'timeout', { digits: null, attempts: 2 }, ['played', 'played']],
    ])('%s', async (_name, phone, exit, detail, heard) => {
      const acct = await account();
      await script(acct, CUSTOMER, phone);
      const done = await run(acct, menu, { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', `menu:${exit}`, 'end:-']);
      expect(step(done, 'menu').detail).toMatchObject({ text: 'For sales press 1, for support press 2 or 3.', language: 'en-US', ...detail });
      const call = await customerCall(acct, done);
      const events = call.events.filter((e) => e.type === 'played' || e.type === 'dtmf');
      expect(events.map((e) => (e.type === 'dtmf' ? `dtmf ${e.digits}` : e.type))).toEqual(heard);
      expect(events.filter((e) => e.type === 'played').every((e) => e.text === 'For sales press 1, for support press 2 or 3.')).toBe(true);
    });
  });

  it('answers each prompt on a call with the phone\'s next keys: a menu key, then a code', async () => {
    const acct = await account();
    await script(acct, CUSTOMER, { dtmf: '1123#' });
    const definition = callingFlow([
      { id: 'menu', type: 'standard_ivr', config: { prompt: { tts: { text: 'For your account press 1.' } }, options: { '1': 'account' } }, exits: { account: 'pin', timeout: 'end', invalid: 'end' } },
      { id: 'pin', type: 'input_ivr', config: { prompt: { tts: { text: 'Enter your code, then hash.' } }, max_digits: 6, terminator: '#', variable: 'code' }, exits: { next: 'again', timeout: 'end', invalid: 'end' } },
      { id: 'again', type: 'input_ivr', config: { prompt: { tts: { text: 'Enter it again.' } }, max_digits: 6, timeout_s: 3, variable: 'again' }, exits: { next: 'end', timeout: 'end', invalid: 'end' } },
    ], { variables: { code: '', again: '' } });
    const done = await run(acct, definition, { customer: CUSTOMER });
    expect(path(done.steps)).toEqual(['call:answered', 'menu:account', 'pin:next', 'again:timeout', 'end:-']);
    expect(done.variables).toMatchObject({ code: '123' });
    expect(step(done, 'pin').detail).toMatchObject({ digits: '123' });
  });

  describe('voice_ivr', () => {
    const menu = callingFlow([
      {
        id: 'menu',
        type: 'voice_ivr',
        config: { prompt: { tts: { text: 'How can we help you today?', language: 'en-US' } }, intents: { billing: ['bill', 'invoice'], sales: ['buy', 'price'] }, timeout_s: 4 },
        exits: { billing: 'end', sales: 'end', no_match: 'end', timeout: 'end' },
      },
    ]);

    it.each([
      ['speech naming an intent leaves by that intent (case-insensitive)', { speech: 'I have a question about my INVOICE' }, 'billing', { speech: 'I have a question about my INVOICE', intent: 'billing' }],
      ['a phrase heard at the start of a word counts', { speech: 'billing please' }, 'billing', { speech: 'billing please', intent: 'billing' }],
      ['speech matching no intent leaves by no_match', { speech: 'What will the weather be like' }, 'no_match', { speech: 'What will the weather be like', intent: null }],
      ['a phrase inside another word is not heard ("rebill" is not "bill"; "buyback" starts with "buy")', { speech: 'Please rebill my account, I want to buyback nothing' }, 'sales', { intent: 'sales' }],
      ['silence leaves by timeout', { answer_after_s: 1 }, 'timeout', { speech: null }],
    ])('%s', async (_name, phone, exit, detail) => {
      const acct = await account();
      await script(acct, CUSTOMER, phone);
      const done = await run(acct, menu, { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', `menu:${exit}`, 'end:-']);
      expect(step(done, 'menu').detail).toMatchObject({ text: 'How can we help you today?', language: 'en-US', ...detail });
    });
  });

  describe('voice_transcription', () => {
    const flow = callingFlow([
      { id: 'listen', type: 'voice_transcription', config: { prompt: { tts: { text: 'Tell us your order number after the tone.', language: 'en-US' } }, max_duration_s: 20, variable: 'said' }, exits: { next: 'repeat', error: 'sorry' } },
      { id: 'repeat', type: 'play_audio', config: { tts: { text: 'You said: {{said}}.', language: 'en-US' } }, exits: { next: 'end' } },
      { id: 'sorry', type: 'play_audio', config: { tts: { text: 'We did not hear you.', language: 'en-US' } }, exits: { next: 'end' } },
    ]);

    it('stores what the caller said in a variable that a later prompt reads back', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { speech: 'my order number is 42' });
      const done = await run(acct, flow, { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'listen:next', 'repeat:next', 'end:-']);
      expect(step(done, 'listen').detail).toMatchObject({ transcription: 'my order number is 42' });
      expect(done.variables.said).toBe('my order number is 42');
      expect(step(done, 'repeat').detail).toMatchObject({ text: 'You said: my order number is 42.', language: 'en-US' });
      const played = (await customerCall(acct, done)).events.filter((e) => e.type === 'played').map((e) => e.text);
      expect(played).toEqual(['Tell us your order number after the tone.', 'You said: my order number is 42.']);
    });

    it('cuts off speech at max_duration_s and keeps what was said until then', async () => {
      const acct = await account();
      const rambling = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
      await script(acct, CUSTOMER, { speech: rambling });
      const done = await run(acct, flow, { customer: CUSTOMER });
      // 20 s at the simulated network's 2.5 words a second.
      expect(done.variables.said).toBe(rambling.split(' ').slice(0, 50).join(' '));
      expect(path(done.steps)).toEqual(['call:answered', 'listen:next', 'repeat:next', 'end:-']);
    });

    it('leaves by error when the caller says nothing before max_duration_s', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const done = await run(acct, flow, { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'listen:error', 'sorry:next', 'end:-']);
      expect(step(done, 'listen').detail).toMatchObject({ transcription: null });
      expect(durationMs(step(done, 'listen'))).toBeGreaterThanOrEqual(20_000);
    });
  });

  describe('request_direct_callback', () => {
    const flow = (config: Record<string, unknown>) =>
      callingFlow(
        [
          { id: 'callback', type: 'request_direct_callback', config, exits: { next: 'thanks', error: 'sorry' } },
          { id: 'thanks', type: 'play_audio', config: { tts: { text: 'We will call you back shortly.', language: 'en-US' } }, exits: { next: 'end' } },
          { id: 'sorry', type: 'play_audio', config: { tts: { text: 'We cannot take your request.', language: 'en-US' } }, exits: { next: 'end' } },
        ],
        { arguments: [arg('callback_to', false)] },
      );

    it("queues a real callback on the skill for the call's contact number, or for a templated number in national format", async () => {
      const acct = await account();
      expect((await t.post('/skills', { name: SKILL }, acct.token)).status).toBe(201);
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const done = await run(acct, flow({ skill: SKILL }), { customer: CUSTOMER });
      expect(path(done.steps)).toEqual(['call:answered', 'callback:next', 'thanks:next', 'end:-']);
      expect(step(done, 'callback').detail).toMatchObject({ skill: SKILL, number: CUSTOMER });
      const queued = (await t.get('/callbacks', acct.token)).body;
      expect(queued.total).toBe(1);
      expect(queued._embedded.callbacks[0]).toMatchObject({ skill: SKILL, callback_number: CUSTOMER, state: 'queued' });

      const other = await run(acct, flow({ skill: SKILL, number: '{{callback_to}}' }), { customer: CUSTOMER, callback_to: '3855550199' });
      expect(path(other.steps)).toEqual(['call:answered', 'callback:next', 'thanks:next', 'end:-']);
      const numbers = (await t.get('/callbacks', acct.token)).body._embedded.callbacks.map((c: { callback_number: string; state: string }) => `${c.callback_number} ${c.state}`);
      expect(numbers.sort()).toEqual(['+13855550199 queued', `${CUSTOMER} queued`]);
    });

    it('leaves by error for a skill deleted since publishing or a number that cannot be dialled, queueing nothing', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      // A skill the account does not have cannot be published...
      const draft = (await t.post('/flows', { name: 'Callback', definition: flow({ skill: 'Gone Soon' }) }, acct.token)).body.id as string;
      const refused = await t.post(`/flows/${draft}/publish`, undefined, acct.token);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([expect.objectContaining({ code: 'unknown_skill', component: 'callback', path: '$.components[1].config.skill' })]);
      // ...but one deleted after publishing is found missing when the step runs.
      const gone = (await t.post('/skills', { name: 'Gone Soon' }, acct.token)).body.id as string;
      const flowId = await publish(acct, flow({ skill: 'Gone Soon' }));
      expect((await t.delete(`/skills/${gone}`, acct.token)).status).toBe(204);
      const done = await finished(acct, await start(acct, flowId, { customer: CUSTOMER }));
      expect(done.status).toBe('completed');
      expect(path(done.steps)).toEqual(['call:answered', 'callback:error', 'sorry:next', 'end:-']);
      expect(step(done, 'callback').detail).toMatchObject({ skill: 'Gone Soon', number: CUSTOMER, code: 'unknown_skill' });

      expect((await t.post('/skills', { name: SKILL }, acct.token)).status).toBe(201);
      const undialable = await run(acct, flow({ skill: SKILL, number: '{{callback_to}}' }), { customer: CUSTOMER, callback_to: 'call me maybe' });
      expect(path(undialable.steps)).toEqual(['call:answered', 'callback:error', 'sorry:next', 'end:-']);
      expect(step(undialable, 'callback').detail).toMatchObject({ skill: SKILL, number: 'call me maybe', code: 'validation_failed' });
      expect((await t.get('/callbacks', acct.token)).body.total).toBe(0);
    });
  });

  describe('execute_action against a local HTTP server', () => {
    const received = (pathname: string): ReceivedRequest[] => api.received.filter((r) => new URL(r.url, 'http://local').pathname === pathname);

    it('sends the templated URL, headers and body, and maps JSON paths of the answer into variables a later request uses', async () => {
      const acct = await account();
      const done = await run(
        acct,
        plainFlow(
          [
            {
              id: 'lookup',
              type: 'execute_action',
              config: {
                method: 'POST',
                url: `${api.url}/customers/{{customer_id}}/lookup?flow={{flow_id}}`,
                headers: { 'x-api-key': 'key-{{customer_id}}' },
                body: { customer: '{{customer_id}}', tags: ['{{customer_id}}', 'vip'], count: 3 },
                output: { tier: '$.data.tier', first_order: '$.orders[0].id' },
              },
              exits: { success: 'report', failure: 'end' },
            },
            { id: 'report', type: 'execute_action', config: { url: `${api.url}/report?tier={{tier}}&order={{first_order}}&for={{interaction_id}}` }, exits: { success: 'end', failure: 'end' } },
          ],
          { arguments: [arg('customer_id')] },
        ),
        { customer_id: 'c-42' },
      );
      expect(done.status).toBe('completed');
      expect(path(done.steps)).toEqual(['lookup:success', 'report:success', 'end:-']);
      const flowId = done.variables.flow_id ?? '';
      expect(step(done, 'lookup').detail).toMatchObject({ method: 'POST', url: `${api.url}/customers/c-42/lookup?flow=${flowId}`, status: 200, attempts: 1 });
      expect(done.variables).toMatchObject({ tier: 'gold', first_order: 'ord-77' });
      expect(step(done, 'report').detail).toMatchObject({ method: 'GET', status: 204, attempts: 1 });

      const lookup = received('/customers/c-42/lookup').find((r) => r.url.includes(flowId));
      expect(lookup).toMatchObject({ method: 'POST', url: `/customers/c-42/lookup?flow=${flowId}` });
      expect(lookup?.headers['x-api-key']).toBe('key-c-42');
      expect(lookup?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(lookup?.body ?? '')).toEqual({ customer: 'c-42', tags: ['c-42', 'vip'], count: 3 });
      const interactionId = done.variables.interaction_id ?? '';
      expect(received('/report').filter((r) => r.url.endsWith(interactionId)).map((r) => r.url)).toEqual([`/report?tier=gold&order=ord-77&for=${interactionId}`]);
    });

    it('retries 5xx answers with exponential backoff on virtual time until one succeeds', async () => {
      const acct = await account();
      const done = await run(
        acct,
        plainFlow([
          { id: 'flaky', type: 'execute_action', config: { url: `${api.url}/flaky/{{interaction_id}}`, retry: { max_retries: 3, backoff_ms: 2000 }, output: { attempt: '$.attempt' } }, exits: { success: 'end', failure: 'end' } },
        ]),
      );
      expect(path(done.steps)).toEqual(['flaky:success', 'end:-']);
      const detail = step(done, 'flaky').detail;
      expect(detail).toMatchObject({ status: 200, attempts: 3 });
      // 2 s and then 4 s of backoff, waited on the manual clock, not the wall clock.
      expect(detail.duration_ms).toBeGreaterThanOrEqual(6000);
      expect(done.variables.attempt).toBe('3');
      const attempts = received(`/flaky/${done.variables.interaction_id}`);
      expect(attempts).toHaveLength(3);
      // One key for the step's three attempts, naming the interaction and the step.
      expect(new Set(attempts.map((request) => request.headers['idempotency-key']))).toEqual(new Set([`${done.variables.interaction_id}:0`]));
    });

    it('leaves by failure on a 5xx once retries are spent, a 4xx (not retried), a refused connection and a timeout', async () => {
      const acct = await account();
      const refused = await refusedUrl();
      const failing = (id: string, url: string, then: string, extra: Record<string, unknown> = {}): Component => ({
        id,
        type: 'execute_action',
        config: { url, ...extra },
        exits: { success: 'end', failure: then },
      });
      const done = await run(
        acct,
        plainFlow([
          failing('broken', `${api.url}/broken`, 'missing', { method: 'POST', body: 'plain text', retry: { max_retries: 1, backoff_ms: 1000 } }),
          failing('missing', `${api.url}/missing`, 'refused'),
          failing('refused', `${refused}/nobody-home`, 'slow', { retry: { max_retries: 0 } }),
          failing('slow', `${api.url}/hang`, 'end', { timeout_ms: 300, retry: { max_retries: 0 } }),
        ]),
      );
      expect(done.status).toBe('completed');
      expect(path(done.steps)).toEqual(['broken:failure', 'missing:failure', 'refused:failure', 'slow:failure', 'end:-']);
      expect(step(done, 'broken').detail).toMatchObject({ method: 'POST', status: 500, attempts: 2, error: 'HTTP 500' });
      expect(step(done, 'missing').detail).toMatchObject({ status: 404, attempts: 1, error: 'HTTP 404' });
      expect(step(done, 'refused').detail).toMatchObject({ status: null, attempts: 1 });
      expect(step(done, 'refused').detail.error).toMatch(/^network: .*ECONNREFUSED/);
      expect(step(done, 'slow').detail).toMatchObject({ status: null, attempts: 1 });
      expect(step(done, 'slow').detail.error).toMatch(/^timeout: /);
    });
  });

  describe('run_function (QuickJS)', () => {
    it("passes the variables in and the function's result into variables that later components read", async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const code = [
        'export default (vars) => {',
        '  const name = vars.name.trim();',
        '  return { greeting: `Hello ${name.toUpperCase()}`, score: name.length * 10, vip: name.length > 3 };',
        '};',
      ].join('\n');
      const done = await run(
        acct,
        callingFlow(
          [
            { id: 'compute', type: 'run_function', config: { code }, exits: { success: 'route', error: 'end' } },
            { id: 'route', type: 'conditional_statement', config: { conditions: [{ exit: 'vip', all: [{ variable: 'vip', op: 'eq', value: true }, { variable: 'score', op: 'gte', value: 40 }] }] }, exits: { vip: 'greet', default: 'end' } },
            { id: 'greet', type: 'play_audio', config: { tts: { text: '{{greeting}}, your score is {{score}}.', language: 'en-US' } }, exits: { next: 'end' } },
          ],
          { arguments: [arg('name')], variables: { greeting: '', score: '', vip: '' } },
        ),
        { customer: CUSTOMER, name: ' Beatriz ' },
      );
      expect(path(done.steps)).toEqual(['call:answered', 'compute:success', 'route:vip', 'greet:next', 'end:-']);
      expect(step(done, 'compute').detail.result).toEqual({ greeting: 'Hello BEATRIZ', score: '70', vip: 'true' });
      expect(done.variables).toMatchObject({ greeting: 'Hello BEATRIZ', score: '70', vip: 'true' });
      expect(step(done, 'greet').detail.text).toBe('Hello BEATRIZ, your score is 70.');
    });

    it('leaves by error when the function throws, loops forever (timeout) or allocates too much (memory), and the server carries on', async () => {
      const acct = await account();
      const fn = (id: string, code: string, then: string, extra: Record<string, unknown> = {}): Component => ({
        id,
        type: 'run_function',
        config: { code, ...extra },
        exits: { success: 'end', error: then },
      });
      const done = await run(
        acct,
        plainFlow(
          [
            fn('throws', "export default () => { throw new Error('customer record is incomplete'); }", 'loops'),
            fn('loops', 'export default () => { for (;;) {} }', 'hoards', { timeout_ms: 300 }),
            fn('hoards', 'export default () => { const all = []; for (;;) all.push({ i: all.length, tags: ["a", "b"] }); }', 'after', { memory_mb: 8, timeout_ms: 5000 }),
            { id: 'after', type: 'run_function', config: { code: 'export default (vars) => ({ recovered: `yes ${vars.interaction_id.length > 0}` })' }, exits: { success: 'end', error: 'end' } },
          ],
          { variables: { recovered: '' } },
        ),
      );
      expect(done.status).toBe('completed');
      expect(path(done.steps)).toEqual(['throws:error', 'loops:error', 'hoards:error', 'after:success', 'end:-']);
      expect(step(done, 'throws').detail).toMatchObject({ reason: 'exception' });
      expect(step(done, 'throws').detail.error).toContain('customer record is incomplete');
      expect(step(done, 'loops').detail).toMatchObject({ reason: 'timeout' });
      expect(step(done, 'loops').detail.duration_ms).toBeGreaterThanOrEqual(300);
      expect(step(done, 'hoards').detail).toMatchObject({ reason: 'memory' });
      expect(done.variables.recovered).toBe('yes true');

      // The server still answers, and still runs flows.
      expect((await t.get('/health')).status).toBe(200);
      const again = await run(acct, plainFlow([{ id: 'ok', type: 'run_function', config: { code: 'export default () => ({ fine: 1 })' }, exits: { success: 'end', error: 'end' } }]));
      expect(path(again.steps)).toEqual(['ok:success', 'end:-']);
    });

    it('leaves by error when the function returns a built-in variable, which keeps its value', async () => {
      const acct = await account();
      const done = await run(acct, plainFlow([{ id: 'spoof', type: 'run_function', config: { code: "export default () => ({ interaction_id: 'hacked', fine: 'yes' })" }, exits: { success: 'end', error: 'end' } }]));
      expect(path(done.steps)).toEqual(['spoof:error', 'end:-']);
      expect(step(done, 'spoof').detail).toMatchObject({ reason: 'read_only_variable' });
      expect(done.variables.interaction_id).not.toBe('hacked');
      expect(done.variables.fine).toBeUndefined();
    });

    it('leaves by error when the function returns a key that is no variable name, storing none of it', async () => {
      const acct = await account();
      const done = await run(acct, plainFlow([{ id: 'odd', type: 'run_function', config: { code: "export default () => ({ 'a-b': 'x', '': 'y', fine: 'yes' })" }, exits: { success: 'end', error: 'end' } }]));
      expect(path(done.steps)).toEqual(['odd:error', 'end:-']);
      expect(step(done, 'odd').detail).toMatchObject({ reason: 'invalid_variable_name' });
      expect(step(done, 'odd').detail.error).toContain('"a-b", ""');
      expect(Object.keys(done.variables)).not.toContain('a-b');
      expect(done.variables.fine).toBeUndefined();
    });
  });

  describe('conditional_statement', () => {
    const definition = plainFlow(
      [
        {
          id: 'route',
          type: 'conditional_statement',
          config: {
            conditions: [
              { exit: 'vip', all: [{ variable: 'tier', op: 'eq', value: 'gold' }, { variable: 'spend', op: 'gte', value: 1000 }] },
              { exit: 'small_basket', all: [{ variable: 'spend', op: 'lt', value: 10 }] },
              { exit: 'uk', all: [{ variable: 'phone', op: 'starts_with', value: '+44' }] },
              { exit: 'complaint', all: [{ variable: 'note', op: 'contains', value: 'refund' }] },
              { exit: 'noted', all: [{ variable: 'note', op: 'exists' }] },
              { exit: 'over_budget', all: [{ variable: 'tier', op: 'ne', value: 'gold' }, { variable: 'spend', op: 'gt', value: '{{budget}}' }, { variable: 'spend', op: 'lte', value: 5000 }] },
            ],
          },
          exits: { vip: 'end', small_basket: 'end', uk: 'end', complaint: 'end', noted: 'end', over_budget: 'end', default: 'end' },
        },
      ],
      { arguments: [arg('tier'), arg('spend'), arg('phone'), arg('budget'), arg('note', false)] },
    );

    it('leaves by the first condition whose comparisons all hold, else by default', async () => {
      const acct = await account();
      const flowId = await publish(acct, definition);
      const base = { tier: 'silver', spend: '50', phone: '+13855551234', budget: '10000' };
      const cases: [Record<string, string>, string][] = [
        [{ tier: 'gold', spend: '1000' }, 'vip'],
        [{ tier: 'gold', spend: '999.5' }, 'default'],
        // "9" < 10 as numbers (as text "9" sorts after "10").
        [{ spend: '9' }, 'small_basket'],
        [{ phone: '+447700900123' }, 'uk'],
        [{ note: 'I want a refund please' }, 'complaint'],
        [{ note: 'call me after 5' }, 'noted'],
        [{ budget: '40' }, 'over_budget'],
        [{ budget: '40', spend: '6000' }, 'default'],
        [{}, 'default'],
      ];
      const ids = [];
      for (const [args] of cases) ids.push(await start(acct, flowId, { ...base, ...args }));
      for (const [index, [args, exit]] of cases.entries()) {
        const done = await finished(acct, ids[index] ?? '');
        expect(path(done.steps), JSON.stringify(args)).toEqual([`route:${exit}`, 'end:-']);
      }
      const vip = await finished(acct, ids[0] ?? '');
      expect(step(vip, 'route').detail).toEqual({
        condition: 0,
        comparisons: [
          { variable: 'tier', op: 'eq', value: 'gold', actual: 'gold' },
          { variable: 'spend', op: 'gte', value: '1000', actual: '1000' },
        ],
      });
      expect(step(await finished(acct, ids[6] ?? ''), 'route').detail).toMatchObject({ condition: 5, comparisons: [{ op: 'ne' }, { op: 'gt', value: '40', actual: '50' }, { op: 'lte' }] });
      expect(step(await finished(acct, ids[8] ?? ''), 'route').detail).toEqual({ condition: null });
    });
  });

  describe('traffic_splitter', () => {
    it('sends one sticky_by value down the same branch every time, the branch its hash picks', async () => {
      const acct = await account();
      const flowId = await publish(
        acct,
        plainFlow(
          [{ id: 'split', type: 'traffic_splitter', config: { branches: [{ exit: 'a', percent: 50 }, { exit: 'b', percent: 50 }], sticky_by: 'customer_id' }, exits: { a: 'end', b: 'end' } }],
          { arguments: [arg('customer_id', false)] },
        ),
      );
      // One customer whose hash falls in each half, so both branches are seen.
      const customers = Array.from({ length: 64 }, (_, i) => `cust-${i}`);
      const onA = customers.find((c) => stickyRoll(flowId, c) < 0.5) ?? '';
      const onB = customers.find((c) => stickyRoll(flowId, c) >= 0.5) ?? '';
      for (const [customer, branch] of [[onA, 'a'], [onB, 'b']] as const) {
        const runs = [];
        for (let i = 0; i < 3; i += 1) runs.push(await finished(acct, await start(acct, flowId, { customer_id: customer })));
        for (const done of runs) {
          expect(path(done.steps)).toEqual([`split:${branch}`, 'end:-']);
          expect(step(done, 'split').detail).toMatchObject({ branch, sticky: true, sticky_by: 'customer_id', roll: stickyRoll(flowId, customer) });
        }
      }
      // No value to stick to: a random draw.
      const loose = await finished(acct, await start(acct, flowId, {}));
      expect(step(loose, 'split').detail).toMatchObject({ sticky: false });
      expect(['a', 'b']).toContain(step(loose, 'split').exit);
    });

    it('never takes a 0 % branch', async () => {
      const acct = await account();
      const flowId = await publish(
        acct,
        plainFlow([{ id: 'split', type: 'traffic_splitter', config: { branches: [{ exit: 'never', percent: 0 }, { exit: 'always', percent: 100 }] }, exits: { never: 'end', always: 'end' } }]),
      );
      const ids = [];
      for (let i = 0; i < 10; i += 1) ids.push(await start(acct, flowId, {}));
      for (const id of ids) {
        const done = await finished(acct, id);
        expect(step(done, 'split').detail).toMatchObject({ branch: 'always', sticky: false });
      }
    });
  });

  describe('end_flow', () => {
    it('ends the interaction as completed and hangs up the call; nothing after it runs', async () => {
      const acct = await account();
      await script(acct, CUSTOMER, { answer_after_s: 1 });
      const done = await run(acct, callingFlow([{ id: 'bye', type: 'play_audio', config: { tts: { text: 'Goodbye.', language: 'en-US' } }, exits: { next: 'end' } }]), { customer: CUSTOMER });
      expect(done.status).toBe('completed');
      expect(done.reason).toBeNull();
      expect(path(done.steps)).toEqual(['call:answered', 'bye:next', 'end:-']);
      expect(step(done, 'end')).toMatchObject({ type: 'end_flow', exit: null, detail: {} });
      const call = await customerCall(acct, done);
      expect(call.outcome).toBe('completed');
      expect(call.events.at(-1)).toMatchObject({ type: 'hangup', by: 'platform' });

      const alone = await run(acct, plainFlow([]));
      expect(alone.status).toBe('completed');
      expect(path(alone.steps)).toEqual(['end:-']);
    });
  });
});

describe.each(DATABASES)('time_rules and calendar_rules on a placed clock, across DST (%s)', (db) => {
  let t: TestApp;
  let time: VirtualTime;
  // Interactions run at instants in March 2027, always moving the clock forward.
  const clock = new ManualClock(Date.parse('2027-03-01T00:00:00.000Z'));

  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
    time = new VirtualTime(clock, t.app.worker);
  });
  afterAll(async () => {
    await time.stop();
    await t.close();
  });

  /** Publishes `definition` for a new account and returns a function that runs it at a given instant. */
  async function runner(definition: unknown): Promise<(at: string) => Promise<InteractionView>> {
    const acct = await t.newAccount();
    const flow = await t.post('/flows', { name: 'Hours', definition }, acct.token);
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    expect((await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token)).status).toBe(201);
    return async (at) => {
      const ahead = Date.parse(at) - clock.now().getTime();
      expect(ahead, `the clock only moves forward: ${at} is before ${clock.now().toISOString()}`).toBeGreaterThan(0);
      clock.advance(ahead);
      // Days went by: the access token has expired; get a new one as a client would.
      const issued = await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: acct.clientId, client_secret: acct.clientSecret });
      const token = issued.body.access_token as string;
      const started = await t.post(`/flows/${flow.body.id}/interactions`, {}, token);
      expect(started.status).toBe(202);
      // Decisions take no virtual time: the clock stays exactly where it was placed.
      return eventually(async () => {
        const interaction = (await t.get(`/interactions/${started.body.interaction_id}`, token)).body;
        expect(interaction.status).not.toBe('running');
        return interaction as InteractionView;
      }, 30_000, 5);
    };
  }

  it('time_rules reads opening hours on the wall clock of its zone, which moves with DST (New York springs forward on 2027-03-14)', async () => {
    const weekday = [['09:00', '17:00']];
    const runAt = await runner(
      plainFlow([
        {
          id: 'hours',
          type: 'time_rules',
          config: { timezone: 'America/New_York', schedule: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sun: [['10:00', '12:00']] } },
          exits: { open: 'end', closed: 'end' },
        },
      ]),
    );
    // Same UTC time of day, 13:30Z: 08:30 EST on the Friday before the switch, 09:30 EDT on the Monday after.
    const cases = [
      ['2027-03-12T13:30:00Z', 'closed', '2027-03-12', 'fri', '08:30:00', null],
      ['2027-03-14T06:30:00Z', 'closed', '2027-03-14', 'sun', '01:30:00', null],
      // The switch day: 14:30Z is 10:30 EDT (it would be 09:30 in EST, before the window).
      ['2027-03-14T14:30:00Z', 'open', '2027-03-14', 'sun', '10:30:00', ['10:00', '12:00']],
      ['2027-03-15T13:30:00Z', 'open', '2027-03-15', 'mon', '09:30:00', ['09:00', '17:00']],
      ['2027-03-15T21:30:00Z', 'closed', '2027-03-15', 'mon', '17:30:00', null],
      ['2027-03-20T15:00:00Z', 'closed', '2027-03-20', 'sat', '11:00:00', null],
    ] as const;
    for (const [at, exit, date, day, localTime, window] of cases) {
      const done = await runAt(at);
      expect(path(done.steps), at).toEqual([`hours:${exit}`, 'end:-']);
      expect(step(done, 'hours').detail, at).toEqual({ timezone: 'America/New_York', local_date: date, local_time: localTime, weekday: day, window });
    }
  });

  it('calendar_rules matches local periods in its zone, across the DST switch (Lisbon springs forward on 2027-03-28) and across midnight', async () => {
    const runAt = await runner(
      plainFlow([
        {
          id: 'calendar',
          type: 'calendar_rules',
          config: {
            timezone: 'Europe/Lisbon',
            dates: [
              { from: '2027-03-28T01:30', to: '2027-03-28T03:00', name: 'Maintenance' },
              { from: '2027-04-01', to: '2027-04-02', name: 'Easter closure' },
            ],
          },
          exits: { match: 'end', no_match: 'end' },
        },
      ]),
    );
    const maintenance = { index: 0, from: '2027-03-28T01:30', to: '2027-03-28T03:00', name: 'Maintenance' };
    const easter = { index: 1, from: '2027-04-01', to: '2027-04-02', name: 'Easter closure' };
    const cases = [
      ['2027-03-28T00:45:00Z', 'no_match', '2027-03-28T00:45:00', null],
      // 01:15Z: the clocks went from 01:00 to 02:00, so it is 02:15 WEST, inside the window (01:15 WET would not be).
      ['2027-03-28T01:15:00Z', 'match', '2027-03-28T02:15:00', maintenance],
      // 02:10Z is 03:10 WEST, past the window (02:10 WET would still be inside).
      ['2027-03-28T02:10:00Z', 'no_match', '2027-03-28T03:10:00', null],
      // Still 31 March in UTC, already 1 April in Lisbon.
      ['2027-03-31T23:30:00Z', 'match', '2027-04-01T00:30:00', easter],
      // Still 2 April in UTC, already 3 April in Lisbon.
      ['2027-04-02T23:30:00Z', 'no_match', '2027-04-03T00:30:00', null],
    ] as const;
    for (const [at, exit, local, period] of cases) {
      const done = await runAt(at);
      expect(path(done.steps), at).toEqual([`calendar:${exit}`, 'end:-']);
      expect(step(done, 'calendar').detail, at).toEqual({ timezone: 'Europe/Lisbon', local_date_time: local, period });
    }
  });
});

/**
 * `salesforce_data_dip` only accepts an https instance URL, so the org is a local HTTPS server
 * with a certificate made for this run (openssl), and Switchboard runs as a server process that
 * trusts it through NODE_EXTRA_CA_CERTS, the way an operator trusts a private CA. Tokens come
 * from SWITCHBOARD_SECRETS_DIR.
 */
describe.each(DATABASES)('salesforce_data_dip against a local org speaking the REST query format (%s)', (db) => {
  const TOKEN = '00Dxx0000001gPL!AQ4AQFakeAccessToken';
  let dir: string | undefined;
  let org: HttpsServer | undefined;
  let orgUrl: string;
  const orgReceived: ReceivedRequest[] = [];
  let schema: IsolatedSchema | undefined;
  let node: ServerProcess;
  let token: string;
  let secrets: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-sf-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    secrets = join(dir, 'secrets');
    mkdirSync(secrets);

    org = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        orgReceived.push(request);
        const url = new URL(request.url, 'https://org');
        const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (url.pathname === '/notify') return send(200, { received: true });
        if (!/^\/services\/data\/v\d+\.\d\/query$/.test(url.pathname)) return send(404, [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
        if ((url.searchParams.get('q') ?? '').includes("'Nobody'")) return send(200, { totalSize: 0, done: true, records: [] });
        return send(200, {
          totalSize: 1,
          done: true,
          records: [
            {
              attributes: { type: 'Contact', url: '/services/data/v62.0/sobjects/Contact/003A' },
              Id: '003A',
              Name: "Sean O'Brien",
              Account: { attributes: { type: 'Account', url: '/services/data/v62.0/sobjects/Account/001A' }, Name: 'Acme Corp' },
            },
          ],
        });
      });
    });
    const listening = org;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    orgUrl = `https://127.0.0.1:${(listening.address() as AddressInfo).port}`;

    schema = db === 'postgres' ? await IsolatedSchema.create() : undefined;
    node = await ServerProcess.start(schema?.url ?? databaseUrl('sqlite'), { SWITCHBOARD_WORKER: 'true', SWITCHBOARD_SECRETS_DIR: secrets, NODE_EXTRA_CA_CERTS: cert });
    const account = await flowsAccount();
    mkdirSync(join(secrets, account.id));
    writeFileSync(join(secrets, account.id, 'sf-main'), `${TOKEN}\n`);
    writeFileSync(join(secrets, account.id, 'sf-stale'), 'an-expired-session\n');
    token = account.token;
  }, 60_000);

  /** A new account on the node with a token to create, publish and start flows. */
  async function flowsAccount(): Promise<{ id: string; token: string }> {
    const account = await node.call('POST', '/admin/accounts', ADMIN_TOKEN, { name: 'Salesforce' });
    await node.call('PATCH', `/admin/accounts/${account.body.id}/limits`, ADMIN_TOKEN, { flows_interactions_per_second: 1000 });
    const client = await node.call('POST', `/admin/accounts/${account.body.id}/clients`, ADMIN_TOKEN, { name: 'tests', scopes: ['flows:read', 'flow-definitions:write', 'flows-interactions:start'] });
    const issued = await node.call('POST', '/oauth/token', undefined, { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    return { id: account.body.id as string, token: issued.body.access_token as string };
  }

  afterAll(async () => {
    await node?.stop();
    const server = org;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const definition = (tokenRef: string, instanceUrl = orgUrl) =>
    plainFlow(
      [
        {
          id: 'dip',
          type: 'salesforce_data_dip',
          config: {
            connection: { instance_url: instanceUrl, token_ref: tokenRef },
            soql: "SELECT Id, Name, Account.Name FROM Contact WHERE LastName = '{{last_name}}' LIMIT 1",
            output: { contact_name: 'Name', account_name: 'Account.Name' },
          },
          exits: { found: 'notify', not_found: 'end', error: 'end' },
        },
        { id: 'notify', type: 'execute_action', config: { method: 'POST', url: `${orgUrl}/notify`, body: { contact: '{{contact_name}}', account: '{{account_name}}' } }, exits: { success: 'end', failure: 'end' } },
      ],
      { arguments: [arg('last_name')] },
    );

  async function run(tokenRef: string, lastName: string, as = token): Promise<InteractionView> {
    const flow = await node.call('POST', '/flows', as, { name: 'Lookup', definition: definition(tokenRef) });
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    expect((await node.call('POST', `/flows/${flow.body.id}/publish`, as)).status).toBe(201);
    const started = await node.call('POST', `/flows/${flow.body.id}/interactions`, as, { last_name: lastName });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return eventually(async () => {
      const interaction = (await node.call('GET', `/interactions/${started.body.interaction_id}`, as)).body;
      expect(interaction.status).not.toBe('running');
      return interaction as InteractionView;
    }, 20_000, 50);
  }

  it('only accepts an https instance URL', async () => {
    const flow = await node.call('POST', '/flows', token, { name: 'Plain HTTP', definition: definition('sf-main', orgUrl.replace('https:', 'http:')) });
    const validated = await node.call('POST', `/flows/${flow.body.id}/validate`, token);
    expect(validated.body.valid).toBe(false);
    expect(validated.body.errors).toContainEqual(expect.objectContaining({ component: 'dip', path: expect.stringContaining('instance_url') }));
  });

  it('queries with the bearer token and a safely quoted SOQL, maps fields of the first record, and the flow uses them later', async () => {
    const done = await run('sf-main', "O'Brien");
    expect(done.status).toBe('completed');
    expect(path(done.steps)).toEqual(['dip:found', 'notify:success', 'end:-']);
    const soql = "SELECT Id, Name, Account.Name FROM Contact WHERE LastName = 'O\\'Brien' LIMIT 1";
    expect(step(done, 'dip').detail).toMatchObject({ instance_url: orgUrl, soql, status: 200, attempts: 1, total_size: 1 });
    expect(done.variables).toMatchObject({ contact_name: "Sean O'Brien", account_name: 'Acme Corp' });
    expect(JSON.stringify(done)).not.toContain(TOKEN);

    const query = orgReceived.find((r) => new URL(r.url, 'https://org').searchParams.get('q') === soql);
    expect(query?.method).toBe('GET');
    expect(query?.url).toMatch(/^\/services\/data\/v\d+\.\d\/query\?q=/);
    expect(query?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const notified = orgReceived.filter((r) => r.url === '/notify').map((r) => JSON.parse(r.body));
    expect(notified).toContainEqual({ contact: "Sean O'Brien", account: 'Acme Corp' });
  });

  it("never lends one account's secret to another account's flow", async () => {
    const other = await flowsAccount();
    const before = orgReceived.length;
    const done = await run('sf-main', "O'Brien", other.token);
    expect(path(done.steps)).toEqual(['dip:error', 'end:-']);
    expect(step(done, 'dip').detail.error).toContain('no secret named "sf-main"');
    expect(orgReceived.length).toBe(before);
  });

  it('leaves by not_found when the query returns no record', async () => {
    const done = await run('sf-main', 'Nobody');
    expect(path(done.steps)).toEqual(['dip:not_found', 'end:-']);
    expect(step(done, 'dip').detail).toMatchObject({ status: 200, total_size: 0 });
    expect(done.variables.contact_name).toBeUndefined();
  });

  it('leaves by error when the org refuses the token, and when the token_ref names no secret', async () => {
    const refused = await run('sf-stale', 'Lima');
    expect(path(refused.steps)).toEqual(['dip:error', 'end:-']);
    expect(step(refused, 'dip').detail).toMatchObject({ status: 401, attempts: 1, error: 'HTTP 401: INVALID_SESSION_ID: Session expired or invalid' });

    const missing = await run('sf-nowhere', 'Lima');
    expect(path(missing.steps)).toEqual(['dip:error', 'end:-']);
    expect(step(missing, 'dip').detail).toMatchObject({ status: null, attempts: 0 });
    expect(step(missing, 'dip').detail.error).toMatch(/sf-nowhere.*did not resolve/);
  });
});
