import { createCaseBody } from '../../src/domains/cases/index.js';
import { stepWrites } from '../../src/domains/flows/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/domains/accounts/index.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { eventually } from '../support/eventually.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type TestAccount } from '../support/harness.js';
import { VirtualTime } from '../support/virtual-time.js';

/**
 * create_case and update_case run for real through the public API: a flow is published and
 * started, and the cases it wrote are read back through /cases (fields, links, notes, audit).
 * Then the same flows are simulated, which records the cases instead of writing them.
 */

const TOUCHPOINT = '+14155550100';
const CUSTOMER = '+13855551234';
const DAY_MS = 24 * 60 * 60 * 1000;

interface Component {
  id: string;
  type: string;
  config?: Record<string, unknown>;
  exits?: Record<string, string>;
}

interface StepView {
  component: string;
  exit: string | null;
  detail: Record<string, any>;
}

interface InteractionView {
  interaction_id: string;
  status: string;
  reason: string | null;
  steps: StepView[];
  variables: Record<string, string>;
}

const END: Component = { id: 'end', type: 'end_flow' };
const arg = (name: string, required = true) => ({ name, variable: name, required });

/** A flow without a call, starting at the first of `components`. */
const plainFlow = (components: Component[], args: string[] = [], optional: string[] = []) => ({
  trigger: { type: 'api', arguments: [...args.map((name) => arg(name)), ...optional.map((name) => arg(name, false))] },
  start: components[0]?.id ?? 'end',
  components: [...components, END],
});

const path = (steps: StepView[]) => steps.map((s) => `${s.component}:${s.exit ?? '-'}`);
const step = (interaction: { steps: StepView[] }, component: string): StepView => {
  const found = interaction.steps.find((s) => s.component === component);
  if (!found) throw new Error(`no step ${component} in ${path(interaction.steps).join(' ')}`);
  return found;
};

/** Opens a case from the arguments into `case_id`, then resolves it with a note. */
const OPEN_AND_RESOLVE = plainFlow(
  [
    {
      id: 'open', type: 'create_case',
      config: { title: 'Outage reported by {{name}}', type: 'incident', priority: 'high', requester_email: '{{email}}', case_id_variable: 'case_id' },
      exits: { created: 'resolve', failed: 'end' },
    },
    {
      id: 'resolve', type: 'update_case',
      config: { case_id: '{{case_id}}', status: '{{status}}', resolution: 'Power restored', note: 'Closed by the outage flow' },
      exits: { updated: 'end', not_found: 'end', failed: 'end' },
    },
  ],
  ['name', 'email', 'status'],
);

describe.each(DATABASES)('flows create and update cases (%s)', (db) => {
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

  /**
   * An account with a touchpoint number, no start limit to speak of, and a service token that never
   * expires (one test moves the clock by days).
   */
  async function account(): Promise<TestAccount> {
    const acct = await t.newAccount();
    const token = await t.post(`/admin/accounts/${acct.id}/service-tokens`, { name: 'tests', scopes: SCOPES, expires_at: null }, ADMIN_TOKEN);
    expect(token.status, token.text).toBe(201);
    const authed = { ...acct, token: token.body.token as string };
    expect((await t.post('/numbers', { number: TOUCHPOINT, name: 'Main line' }, authed.token)).status).toBe(201);
    expect((await t.patch(`/admin/accounts/${acct.id}/limits`, { flows_interactions_per_second: 1000 }, ADMIN_TOKEN)).status).toBe(200);
    return authed;
  }
  async function publish(acct: TestAccount, definition: unknown): Promise<string> {
    const flow = await t.post('/flows', { name: 'Cases', definition }, acct.token);
    expect(flow.status, JSON.stringify(flow.body)).toBe(201);
    const version = await t.post(`/flows/${flow.body.id}/publish`, undefined, acct.token);
    expect(version.status, JSON.stringify(version.body)).toBe(201);
    return flow.body.id as string;
  }
  async function start(acct: TestAccount, flowId: string, args: Record<string, string>): Promise<string> {
    const started = await t.post(`/flows/${flowId}/interactions`, args, acct.token);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return started.body.interaction_id as string;
  }
  const finished = (acct: TestAccount, id: string) =>
    eventually(async () => {
      const interaction = (await t.get(`/interactions/${id}`, acct.token)).body;
      if (interaction.status === 'running') await time.pass(1);
      expect(interaction.status).not.toBe('running');
      return interaction as InteractionView;
    }, 30_000, 1);
  const run = async (acct: TestAccount, definition: unknown, args: Record<string, string> = {}) => {
    const flowId = await publish(acct, definition);
    return { flowId, interaction: await finished(acct, await start(acct, flowId, args)) };
  };
  const readCase = async (acct: TestAccount, id: string) => {
    const response = await t.get(`/cases/${id}`, acct.token);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const audit = async (acct: TestAccount, id: string) =>
    (await t.get(`/cases/${id}/audit?per_page=500`, acct.token)).body._embedded.audit as { actor: string; action: string; field: string | null; new_value: unknown }[];
  const caseCount = async (acct: TestAccount) => (await t.get('/cases', acct.token)).body.total as number;

  describe('create_case', () => {
    it('creates the case, and adds the note, once per step: a step run again after its node died finds what it wrote', async () => {
      const acct = await account();
      const { cases } = t.services.cases;
      const input = createCaseBody.parse({ title: 'Outage reported by the IVR' });
      // What app.ts hands the engine: each write recorded with the step that made it.
      const stepWrite = stepWrites(t.services.storage, clock);
      const createOnce = (key: string) => stepWrite(acct.id, key, (record) => cases.create(acct.id, 'flow:f', input, record));
      const once = `interaction-${Math.random().toString(36).slice(2)}:0`;
      const first = await createOnce(once);
      const again = await createOnce(once);
      expect(again.id).toBe(first.id);
      const other = await createOnce(`${once}1`);
      expect(other.id).not.toBe(first.id);
      const listed = (await t.get('/cases?q=outage%20ivr', acct.token)).body;
      expect(listed.total).toBe(2);
      for (let i = 0; i < 2; i++) await stepWrite(acct.id, `${once}:note`, (record) => cases.addNote(acct.id, 'flow:f', first.id, { body: 'Customer pressed 1', visibility: 'internal' }, record));
      expect((await t.get(`/cases/${first.id}/notes`, acct.token)).body.total).toBe(1);
    });

    it('opens a case from the arguments, linked to the interaction, with the flow as its author, and stores its id in a variable', async () => {
      const acct = await account();
      const agent = (await t.post('/agents', { name: 'Ana' }, acct.token)).body.id as string;
      const group = (await t.post('/groups', { name: 'Billing', agent_ids: [] }, acct.token)).body.id as string;
      const definition = plainFlow(
        [
          {
            id: 'open', type: 'create_case',
            config: {
              title: ' Order {{order}} never arrived ', description: 'Reported by {{name}} ({{tier}} customer)', type: 'task', priority: 'urgent',
              requester_name: '{{name}}', requester_email: '{{email}}', requester_phone: '{{phone}}', assignee_id: '{{agent}}', group_id: '{{group}}',
              due_date: '{{due}}', custom_fields: { order: '{{order}}', tier: '{{tier}}', coupon: '{{coupon}}' }, case_id_variable: 'case_id',
            },
            exits: { created: 'end' },
          },
        ],
        ['order', 'name', 'email', 'phone', 'agent', 'group', 'due'],
        ['tier', 'coupon'],
      );
      const args = { order: 'A-1001', name: 'Ana Lima', email: 'ana@example.com', phone: CUSTOMER, agent, group, due: '2026-12-01', tier: 'gold' };
      const { flowId, interaction } = await run(acct, definition, args);
      expect(interaction.status).toBe('completed');
      expect(path(interaction.steps)).toEqual(['open:created', 'end:-']);
      const caseId = interaction.variables.case_id;
      expect(caseId).toEqual(expect.any(String));
      expect(step(interaction, 'open').detail).toEqual({ case_id: caseId, title: 'Order A-1001 never arrived', type: 'task' });

      const created = await readCase(acct, caseId!);
      expect(created).toMatchObject({
        title: 'Order A-1001 never arrived', description: 'Reported by Ana Lima (gold customer)', type: 'task', priority: 'urgent',
        // Assigning a new case opens it, as through the API.
        status: 'open', requester_name: 'Ana Lima', requester_email: 'ana@example.com', requester_phone: CUSTOMER,
        assignee_id: agent, group_id: group, due_at: '2026-12-01T12:00:00.000Z', channel: 'api',
        // The coupon argument was not given: its template rendered empty and the field was left out.
        custom_fields: { order: 'A-1001', tier: 'gold' },
        related: { interactions: [interaction.interaction_id], calls: [], messages: [], callbacks: [] },
      });
      const entries = await audit(acct, caseId!);
      expect(entries[0]).toMatchObject({ actor: `flow:${flowId}`, action: 'created' });
    });

    it('links the case to the call the flow holds, on the phone channel', async () => {
      const acct = await account();
      const definition = {
        trigger: { type: 'api', arguments: [arg('customer')] },
        start: 'call',
        components: [
          { id: 'call', type: 'make_outbound_call', config: { from: TOUCHPOINT, to: '{{customer}}' }, exits: { answered: 'open', busy: 'end', no_answer: 'end', invalid_number: 'end' } },
          { id: 'open', type: 'create_case', config: { title: 'Call with {{contact_number}}', requester_phone: '{{contact_number}}', case_id_variable: 'case_id' }, exits: { created: 'end' } },
          END,
        ],
      };
      const { interaction } = await run(acct, definition, { customer: CUSTOMER });
      expect(path(interaction.steps)).toEqual(['call:answered', 'open:created', 'end:-']);
      const callId = step(interaction, 'call').detail.call_id as string;
      const created = await readCase(acct, interaction.variables.case_id!);
      expect(created).toMatchObject({
        title: `Call with ${CUSTOMER}`, type: 'question', status: 'new', priority: null, requester_phone: CUSTOMER, channel: 'phone',
        related: { interactions: [interaction.interaction_id], calls: [callId] },
      });
    });

    it('leaves by failed when the cases domain refuses the case, and fails the interaction when failed is not wired', async () => {
      const acct = await account();
      const open = (exits: Record<string, string>): Component => ({
        id: 'open', type: 'create_case', config: { title: 'Complaint', status: '{{status}}', requester_email: '{{email}}' }, exits,
      });
      const wired = await run(acct, plainFlow([open({ created: 'end', failed: 'end' })], ['status', 'email']), { status: 'Escalated', email: 'ana@example.com' });
      expect(wired.interaction.status).toBe('completed');
      expect(path(wired.interaction.steps)).toEqual(['open:failed', 'end:-']);
      expect(step(wired.interaction, 'open').detail).toMatchObject({
        title: 'Complaint', type: 'question', code: 'validation_failed', fields: [{ name: 'status', description: 'is not a status of this account' }],
      });

      // A custom status of the account is found by name; a rendered email that is not one is refused before anything is written.
      expect((await t.post('/case-statuses', { name: 'Escalated', category: 'open' }, acct.token)).status).toBe(201);
      const flowId = await publish(acct, plainFlow([open({ created: 'end', failed: 'end' })], ['status', 'email']));
      const custom = await finished(acct, await start(acct, flowId, { status: 'escalated', email: 'ana@example.com' }));
      expect(path(custom.steps)).toEqual(['open:created', 'end:-']);
      expect((await readCase(acct, step(custom, 'open').detail.case_id)).status).toBe('Escalated');
      const badEmail = await finished(acct, await start(acct, flowId, { status: 'open', email: 'not an email' }));
      expect(path(badEmail.steps)).toEqual(['open:failed', 'end:-']);
      expect(step(badEmail, 'open').detail).toMatchObject({ code: 'validation_failed', fields: [{ name: 'requester_email' }] });

      const unwired = await run(acct, plainFlow([open({ created: 'end' })], ['status', 'email']), { status: 'closed', email: 'ana@example.com' });
      expect(unwired.interaction.status).toBe('failed');
      expect(unwired.interaction.reason).toMatch(/^open: the case was refused: cases are closed only by auto-close/);
      expect(step(unwired.interaction, 'open')).toMatchObject({ exit: null, detail: { code: 'closing_is_automatic' } });
      expect(await caseCount(acct)).toBe(1);
    });
  });

  describe('update_case', () => {
    it("changes the case's status, priority, assignee and resolution and adds an internal note, as the flow", async () => {
      const acct = await account();
      const agent = (await t.post('/agents', { name: 'Ana' }, acct.token)).body.id as string;
      const existing = (await t.post('/cases', { title: 'Router keeps rebooting', priority: 'low' }, acct.token)).body;
      const definition = plainFlow(
        [
          {
            id: 'resolve', type: 'update_case',
            config: { case_id: '{{case}}', status: 'resolved', priority: 'high', assignee_id: '{{agent}}', resolution: 'Firmware {{version}} installed', note: 'Customer confirmed on {{flow_id}}' },
            exits: { updated: 'end' },
          },
        ],
        ['case', 'agent', 'version'],
      );
      const { flowId, interaction } = await run(acct, definition, { case: existing.id, agent, version: '2.4' });
      expect(path(interaction.steps)).toEqual(['resolve:updated', 'end:-']);
      expect(step(interaction, 'resolve').detail).toEqual({
        case_id: existing.id, changes: { status: 'resolved', priority: 'high', assignee_id: agent, resolution: 'Firmware 2.4 installed' }, note: { visibility: 'internal' },
      });

      const updated = await readCase(acct, existing.id);
      expect(updated).toMatchObject({ status: 'resolved', status_category: 'resolved', priority: 'high', assignee_id: agent, resolution: 'Firmware 2.4 installed', resolved_at: expect.any(String) });
      const notes = (await t.get(`/cases/${existing.id}/notes`, acct.token)).body._embedded.notes;
      expect(notes).toEqual([expect.objectContaining({ body: `Customer confirmed on ${flowId}`, visibility: 'internal', author: `flow:${flowId}` })]);
      const byFlow = (await audit(acct, existing.id)).filter((entry) => entry.actor === `flow:${flowId}`);
      expect(byFlow.map((entry) => entry.field ?? entry.action)).toEqual(expect.arrayContaining(['status', 'priority', 'assignee_id', 'resolution', 'note_added']));
    });

    it('updates the case the same flow created, through the variable create_case set', async () => {
      const acct = await account();
      const { interaction } = await run(acct, OPEN_AND_RESOLVE, { name: 'Ana', email: 'ana@example.com', status: 'resolved' });
      expect(path(interaction.steps)).toEqual(['open:created', 'resolve:updated', 'end:-']);
      const resolved = await readCase(acct, interaction.variables.case_id!);
      expect(resolved).toMatchObject({ title: 'Outage reported by Ana', type: 'incident', status: 'resolved', resolution: 'Power restored' });
    });

    it('leaves by not_found for a case the account does not have (by failed when not_found is not wired, else the interaction fails)', async () => {
      const acct = await account();
      const other = await account();
      const foreign = (await t.post('/cases', { title: 'Not yours' }, other.token)).body.id as string;
      const update = (exits: Record<string, string>): Component => ({ id: 'update', type: 'update_case', config: { case_id: '{{case}}', status: 'pending' }, exits });

      for (const [exits, exit] of [
        [{ updated: 'end', not_found: 'end', failed: 'end' }, 'not_found'],
        [{ updated: 'end', failed: 'end' }, 'failed'],
      ] as const) {
        for (const id of ['no-such-case', foreign]) {
          const { interaction } = await run(acct, plainFlow([update(exits)], ['case']), { case: id });
          expect(path(interaction.steps)).toEqual([`update:${exit}`, 'end:-']);
          expect(step(interaction, 'update').detail).toMatchObject({ case_id: id, code: 'not_found' });
        }
      }
      const { interaction } = await run(acct, plainFlow([update({ updated: 'end' })], ['case']), { case: foreign });
      expect(interaction).toMatchObject({ status: 'failed', reason: `update: case ${foreign} was not updated: case not found` });
      expect((await readCase(other, foreign)).status).toBe('new');
    });

    it('leaves by failed for a refused change (no resolution to resolve, a closed case), writing nothing', async () => {
      const acct = await account();
      const flowId = await publish(acct, plainFlow([
        { id: 'update', type: 'update_case', config: { case_id: '{{case}}', status: '{{status}}', note: 'Tried by a flow' }, exits: { updated: 'end', not_found: 'end', failed: 'end' } },
      ], ['case', 'status']));
      const open = (await t.post('/cases', { title: 'Open' }, acct.token)).body.id as string;
      const unresolved = await finished(acct, await start(acct, flowId, { case: open, status: 'resolved' }));
      expect(path(unresolved.steps)).toEqual(['update:failed', 'end:-']);
      expect(step(unresolved, 'update').detail).toMatchObject({ case_id: open, code: 'validation_failed', fields: [{ name: 'resolution' }] });
      expect((await readCase(acct, open)).status).toBe('new');

      // Resolved, then closed by auto-close once its delay (4 days by default) has passed.
      const done = (await t.post('/cases', { title: 'Done', status: 'resolved', resolution: 'Fixed' }, acct.token)).body.id as string;
      clock.advance(4 * DAY_MS + 1000);
      await eventually(async () => {
        await time.pass(1);
        expect((await readCase(acct, done)).status).toBe('closed');
      }, 30_000, 1);
      const closed = await finished(acct, await start(acct, flowId, { case: done, status: 'open' }));
      expect(path(closed.steps)).toEqual(['update:failed', 'end:-']);
      expect(step(closed, 'update').detail).toMatchObject({ case_id: done, code: 'case_closed', changes: { status: 'open' }, note: { visibility: 'internal' } });
      expect((await t.get(`/cases/${done}/notes`, acct.token)).body.total).toBe(0);
    });
  });

  describe('simulation', () => {
    it('records the cases the flow would create and update, storing none', async () => {
      const acct = await account();
      const flow = await t.post('/flows', { name: 'Outage', definition: OPEN_AND_RESOLVE }, acct.token);
      const simulate = (args: Record<string, string>) => t.post(`/flows/${flow.body.id}/simulate`, { arguments: args }, acct.token);

      const response = await simulate({ name: 'Ana', email: 'ana@example.com', status: 'resolved' });
      expect(response.status, response.text).toBe(200);
      const result = response.body;
      expect(result.status).toBe('completed');
      expect(path(result.steps)).toEqual(['open:created', 'resolve:updated', 'end:-']);
      expect(result.variables.case_id).toBe('simulated-case-1');
      expect(result.cases.created).toEqual([
        {
          case_id: 'simulated-case-1',
          fields: expect.objectContaining({
            title: 'Outage reported by Ana', type: 'incident', priority: 'high', requester_email: 'ana@example.com', channel: 'api',
            related: { interactions: ['simulation'], calls: [] },
          }),
        },
      ]);
      expect(result.cases.updated).toEqual([
        { case_id: 'simulated-case-1', changes: { status: 'resolved', resolution: 'Power restored' }, note: { body: 'Closed by the outage flow', visibility: 'internal' } },
      ]);

      // The cases domain's rules hold in a simulation too, with the account's own statuses.
      const closing = (await simulate({ name: 'Ana', email: 'ana@example.com', status: 'closed' })).body;
      expect(path(closing.steps)).toEqual(['open:created', 'resolve:failed', 'end:-']);
      expect(closing.steps[1].detail).toMatchObject({ code: 'closing_is_automatic' });
      expect(closing.cases.updated).toEqual([]);
      expect((await simulate({ name: 'Ana', email: 'ana@example.com', status: 'Monitoring' })).body.steps[1].detail).toMatchObject({ code: 'validation_failed' });
      expect((await t.post('/case-statuses', { name: 'Monitoring', category: 'pending' }, acct.token)).status).toBe(201);
      expect(path((await simulate({ name: 'Ana', email: 'ana@example.com', status: 'Monitoring' })).body.steps)).toEqual(['open:created', 'resolve:updated', 'end:-']);

      expect(await caseCount(acct)).toBe(0);
    });

    it('answers not_found for a case the simulation did not create', async () => {
      const acct = await account();
      const existing = (await t.post('/cases', { title: 'Real' }, acct.token)).body.id as string;
      const definition = plainFlow([{ id: 'update', type: 'update_case', config: { case_id: '{{case}}', note: 'hello' }, exits: { updated: 'end', not_found: 'end' } }], ['case']);
      const flow = await t.post('/flows', { name: 'Note', definition }, acct.token);
      const result = (await t.post(`/flows/${flow.body.id}/simulate`, { arguments: { case: existing } }, acct.token)).body;
      expect(path(result.steps)).toEqual(['update:not_found', 'end:-']);
      expect(result.cases).toEqual({ created: [], updated: [] });
      expect((await t.get(`/cases/${existing}/notes`, acct.token)).body.total).toBe(0);
    });
  });
});
