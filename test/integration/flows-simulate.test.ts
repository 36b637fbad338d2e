import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { DATABASES, TestApp, type TestAccount } from '../support/harness.js';

const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855551234';
const AGENT = '+14155557001';
const EXAMPLE_FILE = join(import.meta.dirname, '../fixtures/flows/good/api-md-example.json');
const SCENARIO_FILE = join(import.meta.dirname, '../fixtures/flows/scenarios/example-agent-answers.json');

/** Dial, then ask a web service about the customer and branch on its answer. */
const LOOKUP = {
  trigger: { type: 'api', arguments: [{ name: 'customer', required: true }] },
  variables: { tier: '' },
  start: 'call',
  components: [
    { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer}}', ring_timeout_s: 35 }, exits: { answered: 'lookup', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
    {
      id: 'lookup', type: 'execute_action',
      config: { method: 'GET', url: 'https://crm.example.com/customers/{{customer}}', output: { tier: '$.tier' } },
      exits: { success: 'vip', failure: 'end' },
    },
    { id: 'vip', type: 'conditional_statement', config: { conditions: [{ exit: 'gold', all: [{ variable: 'tier', op: 'eq', value: 'gold' }] }] }, exits: { gold: 'callback', default: 'end' } },
    { id: 'callback', type: 'request_direct_callback', config: { skill: 'Gold' }, exits: { next: 'end', error: 'end' } },
    { id: 'end', type: 'end_flow' },
  ],
};

describe.each(DATABASES)('flow simulation over the API (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  async function account(): Promise<TestAccount> {
    const acct = await t.newAccount();
    await t.post('/numbers', { number: TOUCHPOINT, name: 'Main' }, acct.token);
    // The skill LOOKUP queues callbacks on: a flow names only skills of its account.
    await t.post('/skills', { name: 'Gold' }, acct.token);
    return acct;
  }
  const flow = async (acct: TestAccount, definition: unknown) => (await t.post('/flows', { name: 'Lookup', definition }, acct.token)).body.id as string;

  it('runs the draft on a virtual clock against scripted phones and HTTP answers, touching nothing real', async () => {
    const acct = await account();
    const flowId = await flow(acct, LOOKUP);
    const scenario = {
      arguments: { customer: CUSTOMER },
      phones: { [CUSTOMER]: { behavior: 'answer', answer_after_s: 20 } },
      http: [{ method: 'GET', url: `https://crm.example.com/customers/${CUSTOMER}`, status: 200, body: { tier: 'gold' } }],
      start_at: '2026-11-23T09:00:00Z',
      expect: { status: 'completed', path: ['call:answered', 'lookup:success', 'vip:gold', 'callback:next', 'end'] },
    };
    const response = await t.post(`/flows/${flowId}/simulate`, scenario, acct.token);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const result = response.body;
    expect(result.status).toBe('completed');
    expect(result.expectations).toEqual({ met: true, mismatches: [] });
    expect(result.steps[0]).toMatchObject({ component: 'call', started_at: '2026-11-23T09:00:00.000Z', detail: { to: CUSTOMER, outcome: 'answered' } });
    expect(result.steps[1].detail).toMatchObject({ status: 200, attempts: 1 });
    expect(result.variables.tier).toBe('gold');
    expect(result.virtual_duration_s).toBeGreaterThanOrEqual(20);
    expect(result.requests).toEqual([{ method: 'GET', url: `https://crm.example.com/customers/${CUSTOMER}` }]);
    expect(result.callbacks).toEqual([{ skill: 'Gold', number: CUSTOMER }]);
    expect(result.calls.map((c: { to: string; kind: string }) => [c.kind, c.to])).toEqual([['flow_call', CUSTOMER]]);

    // Nothing real happened: no call logged, no callback queued.
    expect((await t.get('/calls', acct.token)).body.total).toBe(0);
    expect((await t.get('/callbacks', acct.token)).body.total).toBe(0);
  });

  it('lets a 35-second ring timeout pass on the virtual clock and reports a differing expectation', async () => {
    const acct = await account();
    const flowId = await flow(acct, LOOKUP);
    const response = await t.post(`/flows/${flowId}/simulate`, {
      arguments: { customer: CUSTOMER },
      phones: { [CUSTOMER]: { behavior: 'no_answer' } },
      expect: { path: ['call:answered'] },
    }, acct.token);
    expect(response.status).toBe(200);
    expect(response.body.steps.map((s: { component: string; exit: string }) => `${s.component}:${s.exit}`)).toEqual(['call:no_answer', 'end:null']);
    expect(response.body.virtual_duration_s).toBe(35);
    expect(response.body.expectations).toEqual({ met: false, mismatches: ['step 1: expected call:answered, got call:no_answer', 'step 2: expected (nothing), got end:-'] });
  });

  it('runs a published version by number, refuses an invalid draft (422) and bad arguments (400)', async () => {
    const acct = await account();
    const flowId = await flow(acct, LOOKUP);
    expect((await t.post(`/flows/${flowId}/publish`, undefined, acct.token)).status).toBe(201);
    await t.put(`/flows/${flowId}/draft`, { definition: { start: 'nowhere', components: [] } }, acct.token);

    const invalidDraft = await t.post(`/flows/${flowId}/simulate`, { arguments: { customer: CUSTOMER } }, acct.token);
    expect(invalidDraft.status).toBe(422);
    expect(invalidDraft.body.code).toBe('invalid_flow_definition');
    const versionOne = await t.post(`/flows/${flowId}/simulate`, { version: 1, arguments: { customer: CUSTOMER }, phones: { [CUSTOMER]: { behavior: 'busy' } } }, acct.token);
    expect(versionOne.status).toBe(200);
    expect(versionOne.body.steps[0].exit).toBe('busy');
    expect((await t.post(`/flows/${flowId}/simulate`, { version: 7 }, acct.token)).status).toBe(404);
    const badArguments = await t.post(`/flows/${flowId}/simulate`, { version: 1, arguments: { customer: 5 } }, acct.token);
    expect(badArguments.status).toBe(400);
    expect(badArguments.body.fields).toEqual([{ name: 'arguments.customer', description: 'must be a string' }]);
    // A start before 1970 is refused by name rather than reaching the interpreter.
    const early = await t.post(`/flows/${flowId}/simulate`, { version: 1, arguments: { customer: CUSTOMER }, start_at: '1969-12-31T23:59:59Z' }, acct.token);
    expect(early.status).toBe(400);
    expect(early.body.fields.map((f: { name: string }) => f.name)).toEqual(['start_at']);
    expect((await t.post(`/flows/${flowId}/simulate`, { version: 1, phones: { 'not-a-number': {} } }, acct.token)).status).toBe(400);
  });
});

describe.each(DATABASES)('flows without arguments, and the splitter\'s seed (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  const SPLIT = {
    start: 'split',
    components: [
      { id: 'split', type: 'traffic_splitter', config: { branches: [{ exit: 'a', percent: 50 }, { exit: 'b', percent: 50 }] }, exits: { a: 'end', b: 'end' } },
      { id: 'end', type: 'end_flow' },
    ],
  };

  it('simulates and starts with no body at all when the flow takes no arguments', async () => {
    const acct = await t.newAccount();
    const flowId = (await t.post('/flows', { name: 'Split', definition: SPLIT }, acct.token)).body.id as string;
    const simulated = await t.request('POST', `/flows/${flowId}/simulate`, { token: acct.token, raw: '', headers: { 'content-type': 'application/json' } });
    expect(simulated.status).toBe(200);
    expect(simulated.body.status).toBe('completed');
    expect((await t.post(`/flows/${flowId}/publish`, undefined, acct.token)).status).toBe(201);
    expect((await t.request('POST', `/flows/${flowId}/interactions`, { token: acct.token })).status).toBe(202);
  });

  it('fails a step that would store a variable past 64 KB, keeping nothing of it (a whole HTTP answer, a function returning too much)', async () => {
    const acct = await t.newAccount();
    const fn = (id: string, size: number, next: string) => ({
      id, type: 'run_function', config: { code: `export default () => ({ big: 'x'.repeat(${size}) })`, timeout_ms: 2000, memory_mb: 32 }, exits: { success: next, error: next },
    });
    const definition = { start: 'small', components: [fn('small', 1000, 'huge'), fn('huge', 100_000, 'end'), { id: 'end', type: 'end_flow' }] };
    const flowId = (await t.post('/flows', { name: 'Big', definition }, acct.token)).body.id as string;
    const simulated = await t.post(`/flows/${flowId}/simulate`, {}, acct.token);
    expect(simulated.status, simulated.text).toBe(200);
    expect(simulated.body).toMatchObject({ status: 'failed', reason: 'huge: it set big to 100000 characters; a variable holds at most 65536' });
    expect(simulated.body.variables.big).toHaveLength(1000);
    expect(simulated.text.length).toBeLessThan(20_000);
  });

  it('runs at most four simulations of one account at once (429 with Retry-After), and other accounts\' beside them', async () => {
    const SPIN = { start: 'spin', components: [
      { id: 'spin', type: 'run_function', config: { code: 'export default () => { for (;;) {} }', timeout_ms: 400 }, exits: { success: 'end', error: 'end' } },
      { id: 'end', type: 'end_flow' },
    ] };
    const busy = await t.newAccount();
    const other = await t.newAccount();
    const flowOf = async (token: string) => (await t.post('/flows', { name: 'Spin', definition: SPIN }, token)).body.id as string;
    const [busyFlow, otherFlow] = await Promise.all([flowOf(busy.token), flowOf(other.token)]);
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => t.post(`/flows/${busyFlow}/simulate`, {}, busy.token)),
      t.post(`/flows/${otherFlow}/simulate`, {}, other.token),
    ]);
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.slice(0, 6).sort()).toEqual([200, 200, 200, 200, 429, 429]);
    expect(statuses[6]).toBe(200);
    const refused = answers.find((answer) => answer.status === 429);
    expect(refused?.headers['retry-after']).toBe('1');
    expect(refused?.body.code).toBe('rate_limited');
    expect((await t.post(`/flows/${busyFlow}/simulate`, {}, busy.token)).status).toBe(200);
  });

  it('refuses in a simulation what a real run refuses: an undialable callback number, a missing secret, a touchpoint number since deleted', async () => {
    const acct = await t.newAccount();
    await t.post('/numbers', { number: TOUCHPOINT, name: 'Main' }, acct.token);
    await t.post('/skills', { name: 'Gold' }, acct.token);
    const CALLBACK = {
      trigger: { type: 'api', arguments: [{ name: 'cb', required: true }] },
      start: 'call',
      components: [
        { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: CUSTOMER }, exits: { answered: 'cb', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
        { id: 'cb', type: 'request_direct_callback', config: { skill: 'Gold', number: '{{cb}}' }, exits: { next: 'end', error: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const simulated = async (definition: unknown, body: Record<string, unknown> = {}) => {
      const flowId = (await t.post('/flows', { name: 'Parity', definition }, acct.token)).body.id as string;
      const result = await t.post(`/flows/${flowId}/simulate`, body, acct.token);
      expect(result.status, result.text).toBe(200);
      return result.body;
    };
    const undialable = await simulated(CALLBACK, { arguments: { cb: 'not-a-number' } });
    expect(undialable.steps[1]).toMatchObject({ component: 'cb', exit: 'error' });
    expect(undialable.callbacks).toEqual([]);
    // Read in the account's country (US by default), as the callbacks domain reads it.
    const local = await simulated(CALLBACK, { arguments: { cb: '(385) 555-1234' } });
    expect(local.steps[1]).toMatchObject({ component: 'cb', exit: 'next' });
    expect(local.callbacks).toEqual([{ skill: 'Gold', number: '+13855551234' }]);

    const dip = {
      start: 'dip',
      components: [
        { id: 'dip', type: 'salesforce_data_dip', config: { connection: { instance_url: 'https://acme.my.salesforce.com', token_ref: 'no-such-secret' }, soql: "SELECT Id FROM Contact WHERE Phone = '1'" }, exits: { found: 'end', not_found: 'end', error: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const missingSecret = await simulated(dip, { http: [{ method: 'GET', url: 'https://acme.my.salesforce.com/*', status: 200, body: { totalSize: 0, records: [] } }] });
    expect(missingSecret.steps[0].exit).toBe('error');
    expect(missingSecret.steps[0].detail.error).toMatch(/no-such-secret/);
    expect(missingSecret.requests).toEqual([]);

    const from = '+14155550177';
    await t.post('/numbers', { number: from, name: 'Campaign line' }, acct.token);
    const dialling = {
      start: 'call',
      components: [
        { id: 'call', type: 'make_outbound_call', config: { from, to: CUSTOMER }, exits: { answered: 'end', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const flowId = (await t.post('/flows', { name: 'Campaign', definition: dialling }, acct.token)).body.id as string;
    expect((await t.post(`/flows/${flowId}/publish`, undefined, acct.token)).status).toBe(201);
    expect((await t.delete(`/numbers/${encodeURIComponent(from)}`, acct.token)).status).toBe(204);
    const version = await t.post(`/flows/${flowId}/simulate`, { version: 1 }, acct.token);
    expect(version.body).toMatchObject({ status: 'failed' });
    expect(version.body.reason).toMatch(/no longer one of the account's numbers/);
  });

  it('shows run_function the scenario\'s clock, as time_rules see it, and seeds its Math.random', async () => {
    const acct = await t.newAccount();
    const definition = {
      variables: { year: '', draw: '' },
      start: 'fn',
      components: [
        { id: 'fn', type: 'run_function', config: { code: 'export default () => ({ year: new Date().getUTCFullYear(), draw: Math.random() })' }, exits: { success: 'end', error: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const flowId = (await t.post('/flows', { name: 'Clock', definition }, acct.token)).body.id as string;
    const run = async (seed: number) => (await t.post(`/flows/${flowId}/simulate`, { start_at: '2020-01-06T10:00:00Z', seed }, acct.token)).body as { variables: Record<string, string> };
    const [first, again, other] = [await run(7), await run(7), await run(8)];
    expect(first.variables.year).toBe('2020');
    expect(again.variables.draw).toBe(first.variables.draw);
    expect(other.variables.draw).not.toBe(first.variables.draw);
  });

  it('runs a flow as GET /flows/{id} returns it in the offline CLI, sticky splits landing where the server puts them', async () => {
    const acct = await t.newAccount();
    const sticky = {
      trigger: { type: 'api', arguments: [{ name: 'customer', required: true }] },
      start: 'split',
      components: [
        { id: 'split', type: 'traffic_splitter', config: { branches: [{ exit: 'a', percent: 50 }, { exit: 'b', percent: 50 }], sticky_by: 'customer' }, exits: { a: 'end', b: 'end' } },
        { id: 'end', type: 'end_flow' },
      ],
    };
    const flowId = (await t.post('/flows', { name: 'Sticky', definition: sticky }, acct.token)).body.id as string;
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-sticky-'));
    const flowFile = join(dir, 'flow.json');
    writeFileSync(flowFile, JSON.stringify((await t.get(`/flows/${flowId}`, acct.token)).body));
    for (const customer of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      const onServer = (await t.post(`/flows/${flowId}/simulate`, { arguments: { customer } }, acct.token)).body.steps[0].exit as string;
      const scenario = join(dir, `${customer}.json`);
      writeFileSync(scenario, JSON.stringify({ arguments: { customer } }));
      let stdout = '';
      expect(await runCli(['flows', 'simulate', flowFile, '--scenario', scenario, '--json'], { stdout: (text) => (stdout += text), stderr: () => undefined }, {})).toBe(0);
      expect(JSON.parse(stdout).steps[0].exit, customer).toBe(onServer);
    }
  });

  it('takes both branches of a 50/50 splitter across small seeds', async () => {
    const acct = await t.newAccount();
    const flowId = (await t.post('/flows', { name: 'Split', definition: SPLIT }, acct.token)).body.id as string;
    const exits = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) exits.add((await t.post(`/flows/${flowId}/simulate`, { seed }, acct.token)).body.steps[0].exit);
    expect(exits).toEqual(new Set(['a', 'b']));
  });
});

describe('switchboard flows simulate (offline CLI)', () => {
  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) }, {});
    return { code, stdout, stderr };
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-simulate-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('prints the trace and exits 0 when the run matches the scenario', async () => {
    const { code, stdout } = await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', SCENARIO_FILE]);
    expect(code).toBe(0);
    expect(stdout).toContain('call_customer (make_outbound_call) -> answered');
    expect(stdout).toContain('call_agent (forward_to_external_number) -> connected');
    expect(stdout).toMatch(/completed after 3 steps/);
  });

  it('exits 1 naming each difference when the run differs from the expectation', async () => {
    const scenario = file('busy.json', { arguments: { contact_1: CUSTOMER, contact_2: AGENT }, phones: { [CUSTOMER]: { behavior: 'busy' } }, expect: { path: ['call_customer:answered'] } });
    const { code, stderr } = await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', scenario]);
    expect(code).toBe(1);
    expect(stderr).toContain('step 1: expected call_customer:answered, got call_customer:busy');
  });

  it('reads a number written without + in the account\'s country: US unless --country names another', async () => {
    const local = file('local.json', { arguments: { contact_1: '(385) 555-1234', contact_2: AGENT }, phones: { [CUSTOMER]: { behavior: 'busy' } }, expect: { path: ['call_customer:busy', 'end'] } });
    expect((await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', local])).code).toBe(0);
    const british = file('british.json', { arguments: { contact_1: '07700 900123', contact_2: AGENT }, phones: { '+447700900123': { behavior: 'busy' } }, expect: { path: ['call_customer:busy', 'end'] } });
    expect((await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', british, '--country', 'gb'])).code).toBe(0);
    expect((await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', british, '--country', 'XX'])).code).toBe(2);
  });

  it('prints JSON with --json, exits 1 for an invalid definition and 2 for a malformed scenario', async () => {
    const json = await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', SCENARIO_FILE, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).status).toBe('completed');

    const invalid = await cli(['flows', 'simulate', file('bad.json', { start: 'x', components: [] }), '--scenario', SCENARIO_FILE]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('unknown_start');

    const malformed = await cli(['flows', 'simulate', EXAMPLE_FILE, '--scenario', file('scenario.json', { phones: { nope: {} } })]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('phones.nope: must be an E.164 number');
    expect((await cli(['flows', 'simulate'])).code).toBe(2);
  });
});
