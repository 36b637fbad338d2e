import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { FetchHttpClient } from '../../src/adapters/http/fetch-client.js';
import { ScriptedCallControl } from '../../src/adapters/telephony/simulated/index.js';
import type { LegOutcome } from '../../src/ports/telephony.js';
import { DirectorySecrets } from '../../src/adapters/secrets/directory-secrets.js';
import { EspeakTts } from '../../src/adapters/tts/espeak/espeak-tts.js';
import { COMPONENT_HANDLERS, FlowEngine, type FlowServices } from '../../src/domains/flows/index.js';
import { SubscribedEndpoints, WebhookPublisher } from '../../src/domains/webhooks/index.js';
import { createJobHandlers, createJobQueue } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { eventually } from '../support/eventually.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { VirtualTime } from '../support/virtual-time.js';
import { jobContext } from '../support/job-context.js';

const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855551234';
const AGENT = '+14155557001';
const MESSAGE = 'Your call will be redirected to the agent responsible for your installation.';

/** The example flow of API.md, word for word. */
const EXAMPLE = {
  trigger: { type: 'api', arguments: [{ name: 'contact_1', variable: 'customer_number', required: true }, { name: 'contact_2', variable: 'agent_number', required: true }] },
  variables: { interaction_id: '' },
  start: 'call_customer',
  components: [
    { id: 'call_customer', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer_number}}', ring_timeout_s: 15 }, exits: { answered: 'announce', invalid_number: 'end', busy: 'end', no_answer: 'end' } },
    { id: 'announce', type: 'play_audio', config: { tts: { text: MESSAGE, language: 'en-US' } }, exits: { next: 'call_agent' } },
    { id: 'call_agent', type: 'forward_to_external_number', config: { number: '{{agent_number}}', caller_id: 'contact' }, exits: { no_answer: 'end', invalid_number: 'end' } },
    { id: 'end', type: 'end_flow' },
  ],
};

/** A network whose every dial fails: the platform, not the flow, is broken. */
class TrunkDown extends ScriptedCallControl {
  override dial(): Promise<LegOutcome> {
    return Promise.reject(new Error('the trunk is down'));
  }
}

interface StepView {
  component: string;
  type: string;
  exit: string | null;
  detail: Record<string, unknown>;
}

describe.each(DATABASES)('flow interactions (%s)', (db) => {
  let t: TestApp;
  let time: VirtualTime;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await TestApp.start(db, { clock });
    time = new VirtualTime(clock, t.app.worker);
  });
  afterAll(async () => {
    await time.stop();
    await t.close();
  });

  async function account(): Promise<TestAccount> {
    const acct = await t.newAccount();
    expect((await t.post('/numbers', { number: TOUCHPOINT, name: 'Main line' }, acct.token)).status).toBe(201);
    return acct;
  }
  async function published(acct: TestAccount, definition: unknown = EXAMPLE): Promise<string> {
    const flow = await t.post('/flows', { name: 'Installation', definition }, acct.token);
    expect(flow.status).toBe(201);
    const version = await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token);
    expect(version.status, JSON.stringify(version.body)).toBe(201);
    return flow.body.id as string;
  }
  const script = async (acct: TestAccount, number: string, behaviour: Record<string, unknown>) => expect((await t.put(`/sim/phones/${number}`, behaviour, acct.token)).status).toBe(200);
  const start = (acct: TestAccount, flowId: string, args: unknown = { contact_1: CUSTOMER, contact_2: AGENT }) => t.post(`/flows/${flowId}/interactions`, args, acct.token);
  const finished = (acct: TestAccount, id: string) =>
    time.until(async () => {
      const interaction = (await t.get(`/interactions/${id}`, acct.token)).body;
      expect(interaction.status).not.toBe('running');
      return interaction as { status: string; reason: string | null; steps: StepView[]; variables: Record<string, string> };
    }, 300);
  const path = (steps: StepView[]) => steps.map((s) => `${s.component}:${s.exit ?? '-'}`);

  it('runs the example flow end to end: the customer answers, hears the message and is forwarded to the agent who answers', async () => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 3, talk_s: 20 });
    await script(acct, AGENT, { behavior: 'answer', answer_after_s: 2 });
    const started = await start(acct, flowId);
    expect(started.status).toBe(202);
    expect(Object.keys(started.body).sort()).toEqual(['flow_execution_id', 'flow_version_id', 'interaction_id']);

    const done = await finished(acct, started.body.interaction_id);
    expect(done.status).toBe('completed');
    expect(path(done.steps)).toEqual(['call_customer:answered', 'announce:next', 'call_agent:connected']);
    expect(done.steps[0]?.detail).toMatchObject({ from: TOUCHPOINT, to: CUSTOMER, outcome: 'answered' });
    expect(done.steps[1]?.detail).toMatchObject({ text: MESSAGE, language: 'en-US' });
    expect(done.steps[1]?.detail.audio_bytes).toBeGreaterThan(0);
    expect(done.steps[2]?.detail).toMatchObject({ number: AGENT, caller_id: CUSTOMER, outcome: 'answered', connected: true });
    expect(done.variables).toMatchObject({ customer_number: CUSTOMER, agent_number: AGENT, contact_number: CUSTOMER, touchpoint_number: TOUCHPOINT });

    // A connected forward ends the flow: the interaction completed when the agent answered, and
    // the agent's leg ends when the customer hangs up after talking for 20 s.
    type LoggedLeg = { kind: string; to: string; outcome: string | null; ended_at: string | null; events: { type: string }[] };
    const legs = async () => (await t.get('/calls?per_page=50', acct.token)).body._embedded.calls as LoggedLeg[];
    const customerLeg = (await legs()).find((c) => c.kind === 'flow_call' && c.to === CUSTOMER);
    expect(customerLeg?.outcome).toBe('forwarded');
    expect(customerLeg?.events.map((e) => e.type)).toEqual(['ringing', 'answered', 'played', 'forwarded', 'bridged', 'hangup']);
    const agentLeg = await time.until(async () => {
      const leg = (await legs()).find((c) => c.kind === 'flow_call' && c.to === AGENT);
      expect(leg?.outcome).toBe('completed');
      return leg as LoggedLeg;
    }, 60);
    const interaction = (await t.get(`/interactions/${started.body.interaction_id}`, acct.token)).body as { ended_at: string };
    expect(Date.parse(agentLeg.ended_at ?? '') - Date.parse(interaction.ended_at)).toBeGreaterThanOrEqual(20_000);
  });

  it.each([
    ['busy', { behavior: 'busy' }],
    ['no_answer', { behavior: 'no_answer' }],
    ['invalid_number', { behavior: 'invalid' }],
  ])('ends the example flow when the customer is %s', async (outcome, behaviour) => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, behaviour);
    const done = await finished(acct, (await start(acct, flowId)).body.interaction_id);
    expect(done.status).toBe('completed');
    expect(path(done.steps)).toEqual([`call_customer:${outcome}`, 'end:-']);
  });

  it('ends the example flow when the agent does not answer the forward', async () => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, { answer_after_s: 1 });
    await script(acct, AGENT, { behavior: 'no_answer' });
    const done = await finished(acct, (await start(acct, flowId)).body.interaction_id);
    expect(path(done.steps)).toEqual(['call_customer:answered', 'announce:next', 'call_agent:no_answer', 'end:-']);
    expect(done.steps[2]?.detail).toMatchObject({ number: AGENT, outcome: 'no_answer', ring_timeout_s: 15 });
  });

  it('checks the start request against the declared arguments (400 with fields), the publication (404) and the size (413)', async () => {
    const acct = await account();
    const flowId = await published(acct);
    const nonString = await start(acct, flowId, { contact_1: 3855551234, contact_2: AGENT });
    expect(nonString.status).toBe(400);
    expect(nonString.body.fields).toEqual([{ name: 'contact_1', description: 'must be a string' }]);
    const unknownAndMissing = await start(acct, flowId, { contact_1: CUSTOMER, extra: 'x' });
    // Rejected requests count against the account's rate too (2 per second).
    clock.advance(1000);
    expect(unknownAndMissing.status).toBe(400);
    expect(unknownAndMissing.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['contact_2', 'extra']);

    const draftOnly = (await t.post('/flows', { name: 'Draft', definition: EXAMPLE }, acct.token)).body.id as string;
    const notPublished = await start(acct, draftOnly);
    expect(notPublished.status).toBe(404);
    expect(notPublished.body.code).toBe('flow_not_published');
    expect((await start(acct, 'no-such-flow')).status).toBe(404);
    clock.advance(1000);
    expect((await start(acct, flowId, { contact_1: 'x'.repeat(70 * 1024), contact_2: AGENT })).status).toBe(413);
  });

  it('admits 2 starts per second per account, answering 429 with Retry-After, and leaves other accounts alone', async () => {
    const acct = await account();
    const other = await account();
    const flowId = await published(acct);
    const otherFlow = await published(other);
    clock.advance(1000);
    expect((await start(acct, flowId)).status).toBe(202);
    expect((await start(acct, flowId)).status).toBe(202);
    const refused = await start(acct, flowId);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(refused.headers['retry-after']).toBe('1');
    expect((await start(other, otherFlow)).status).toBe(202);
    // A refusal is not remembered under an Idempotency-Key: the retry Retry-After asks for starts.
    const keyed = { 'idempotency-key': 'start-once' };
    const args = { contact_1: CUSTOMER, contact_2: AGENT };
    expect((await t.post(`/flows/${flowId}/interactions`, args, acct.token, keyed)).status).toBe(429);
    clock.advance(1000);
    const retried = await t.post(`/flows/${flowId}/interactions`, args, acct.token, keyed);
    expect(retried.status).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('pins the version an interaction started on: publishing again changes nothing it does', async () => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, { answer_after_s: 10 });
    await script(acct, AGENT, { behavior: 'no_answer' });
    const started = (await start(acct, flowId)).body;
    await time.pass(2);
    const changed = structuredClone(EXAMPLE);
    changed.components[1] = { ...changed.components[1], config: { tts: { text: 'Version two speaking.', language: 'en-US' } } } as (typeof changed.components)[number];
    expect((await t.put(`/flows/${flowId}/draft`, { definition: changed }, acct.token)).status).toBe(200);
    expect((await t.post(`/flows/${flowId}/publish`, undefined, acct.token)).body.version).toBe(2);
    const done = await finished(acct, started.interaction_id);
    expect(done.steps[1]?.detail.text).toBe(MESSAGE);
    expect((await t.get(`/interactions/${started.interaction_id}`, acct.token)).body.flow_version_id).toBe(started.flow_version_id);
  });

  it('fails an interaction whose component runs 10 times in a row, or that takes 1,000 steps', async () => {
    const acct = await account();
    const always = { timezone: 'UTC', schedule: { mon: [['00:00', '24:00']], tue: [['00:00', '24:00']], wed: [['00:00', '24:00']], thu: [['00:00', '24:00']], fri: [['00:00', '24:00']], sat: [['00:00', '24:00']], sun: [['00:00', '24:00']] } };
    const spinning = await published(acct, { start: 'spin', components: [{ id: 'spin', type: 'time_rules', config: always, exits: { open: 'spin', closed: 'end' } }, { id: 'end', type: 'end_flow' }] });
    const spun = await finished(acct, (await start(acct, spinning, {})).body.interaction_id);
    expect(spun.status).toBe('failed');
    expect(spun.reason).toBe('component spin ran 10 times in a row');
    expect(spun.steps).toHaveLength(10);

    clock.advance(1000);
    const pingPong = await published(acct, {
      start: 'ping',
      components: [
        { id: 'ping', type: 'time_rules', config: always, exits: { open: 'pong', closed: 'end' } },
        { id: 'pong', type: 'time_rules', config: always, exits: { open: 'ping', closed: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    });
    // A thousand steps take real time (a transaction each), not virtual time: wait on the wall clock.
    const longId = (await start(acct, pingPong, {})).body.interaction_id as string;
    const long = await eventually(async () => {
      await time.pass(1);
      const interaction = (await t.get(`/interactions/${longId}`, acct.token)).body;
      expect(interaction.status).not.toBe('running');
      return interaction as { status: string; reason: string | null; steps: StepView[] };
    }, 60_000, 50);
    expect(long.status).toBe('failed');
    expect(long.reason).toBe('stopped after 1000 steps');
    expect(long.steps).toHaveLength(1000);
  });

  it('fails the interaction, saying why, when the platform cannot run it on the job\'s last attempt', async () => {
    const acct = await account();
    const flowId = await published(acct);
    const { storage, calls, callbacks } = t.services;
    const broken: FlowServices = {
      clock, calls, callbacks, http: new FetchHttpClient(), secrets: new DirectorySecrets(tmpdir()), random: Math.random,
      tts: new EspeakTts(), cases: { create: () => Promise.reject(new Error('no cases here')), update: () => Promise.reject(new Error('no cases here')) },
      telephony: new TrunkDown(() => Promise.resolve({ behavior: 'answer', answer_after_s: 0 }), clock),
    };
    const jobs = createJobQueue({ storage, clock });
    const engine = new FlowEngine({ storage, jobs, services: broken, handlers: COMPONENT_HANDLERS, events: new WebhookPublisher(clock, jobs, new SubscribedEndpoints(storage)) });
    const { interaction_id } = await engine.start(acct.id, flowId, { contact_1: CUSTOMER, contact_2: AGENT });
    const handlers = createJobHandlers({ storage, clock, callbacks: undefined as never, flows: engine, cases: undefined as never, messages: undefined as never, webhooks: undefined as never });
    const context = (attempt: number) => jobContext(acct.id, { attempt });

    await expect(handlers['flow.run']({ interaction_id }, context(1))).rejects.toThrow('the trunk is down');
    expect((await t.get(`/interactions/${interaction_id}`, acct.token)).body.status).toBe('running');
    await expect(handlers['flow.run']({ interaction_id }, context(10))).rejects.toThrow('the trunk is down');
    const failed = (await t.get(`/interactions/${interaction_id}`, acct.token)).body;
    expect(failed).toMatchObject({ status: 'failed', reason: 'the platform could not run it: the trunk is down', current: null });
  });

  it('fails the interaction when every node that ran its job died on it, its attempts used up', async () => {
    const acct = await account();
    const flowId = await published(acct);
    const id = (await start(acct, flowId)).body.interaction_id as string;
    // As if ten nodes had claimed the job in turn and died before it finished.
    await t.services.storage.db.updateTable('jobs').set({ attempts: 10, status: 'pending', locked_by: null, locked_until: null }).where('account_id', '=', acct.id).where('type', '=', 'flow.run').execute();
    // The background worker passes (VirtualTime) claim it as a drain here would.
    await time.until(async () =>
      expect((await t.get(`/interactions/${id}`, acct.token)).body).toMatchObject({
        status: 'failed', reason: 'the platform could not run it: the worker running attempt 10 of 10 stopped before it finished',
      }),
    );
  });

  it('ends the calls in the log when the platform gives an interaction up: the one held and the one being placed', async () => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, { behavior: 'answer', answer_after_s: 0, talk_s: 600 });
    await script(acct, AGENT, { behavior: 'answer', answer_after_s: 30 });
    const id = (await start(acct, flowId)).body.interaction_id as string;
    const ringing = await time.until(async () => {
      const interaction = (await t.get(`/interactions/${id}`, acct.token)).body;
      expect(interaction.current).toBe('call_agent');
      return interaction as { steps: StepView[] };
    });
    const customerCall = ringing.steps[0]?.detail.call_id as string;
    const { storage, calls, callbacks } = t.services;
    const services: FlowServices = {
      clock, calls, callbacks, http: new FetchHttpClient(), secrets: new DirectorySecrets(tmpdir()), random: Math.random, tts: new EspeakTts(),
      cases: { create: () => Promise.reject(new Error('no cases here')), update: () => Promise.reject(new Error('no cases here')) },
      telephony: new TrunkDown(() => Promise.resolve({ behavior: 'answer', answer_after_s: 0 }), clock),
    };
    const jobs = createJobQueue({ storage, clock });
    const engine = new FlowEngine({ storage, jobs, services, handlers: COMPONENT_HANDLERS, events: new WebhookPublisher(clock, jobs, new SubscribedEndpoints(storage)) });
    await engine.giveUp(acct.id, id, 'the media server is down');

    expect((await t.get(`/interactions/${id}`, acct.token)).body).toMatchObject({ status: 'failed', reason: 'the platform could not run it: the media server is down' });
    const legs = (await t.get('/calls', acct.token)).body._embedded.calls as { id: string; to: string; outcome: string | null; ended_at: string | null; events: { type: string; by?: string }[] }[];
    const customer = legs.find((leg) => leg.id === customerCall);
    expect(customer).toMatchObject({ outcome: 'failed', ended_at: expect.any(String) });
    expect(customer?.events.at(-1)).toMatchObject({ type: 'hangup', by: 'platform' });
    expect(legs.find((leg) => leg.to === AGENT)).toMatchObject({ outcome: 'failed', ended_at: expect.any(String) });
  });

  it('reports executions newest first with their steps, filtered by status and time', async () => {
    const acct = await account();
    const flowId = await published(acct);
    await script(acct, CUSTOMER, { behavior: 'busy' });
    const first = (await start(acct, flowId)).body.interaction_id as string;
    await finished(acct, first);
    clock.advance(1000);
    await script(acct, CUSTOMER, { answer_after_s: 30 });
    const second = (await start(acct, flowId)).body.interaction_id as string;

    const all = (await t.get(`/flows/${flowId}/executions`, acct.token)).body;
    expect(all.total).toBe(2);
    expect(all._embedded.executions.map((e: { interaction_id: string }) => e.interaction_id)).toEqual([second, first]);
    expect(all._embedded.executions[1].steps.map((s: StepView) => s.component)).toEqual(['call_customer', 'end']);
    const completed = (await t.get(`/flows/${flowId}/executions?status=completed`, acct.token)).body;
    expect(completed._embedded.executions.map((e: { interaction_id: string }) => e.interaction_id)).toEqual([first]);
    const later = new Date(clock.now().getTime() - 500).toISOString();
    const recent = (await t.get(`/flows/${flowId}/executions?created_from=${encodeURIComponent(later)}`, acct.token)).body;
    expect(recent._embedded.executions.map((e: { interaction_id: string }) => e.interaction_id)).toEqual([second]);
    expect((await t.get('/flows/nope/executions', acct.token)).status).toBe(404);
    await finished(acct, second);
  });
});
