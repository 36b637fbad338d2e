import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowsService } from '../../src/domains/flows/index.js';
import type { Scope } from '../../src/domains/accounts/index.js';
import { ADMIN_TOKEN, DATABASES, TestApp, type Response, type TestAccount } from '../support/harness.js';

const FROM = '+14155550100';

const fixture = (path: string): any => JSON.parse(readFileSync(new URL(`../fixtures/flows/${path}`, import.meta.url), 'utf8'));

/** API.md's example flow: dial the customer, play a message, forward to the agent. */
const EXAMPLE = fixture('good/api-md-example.json');
/** Eleven different problems at once (see the fixture's `expect`). */
const MANY_PROBLEMS = fixture('bad/many-problems.json');

const expectProblem = (response: Response, status: number, code: string) => {
  expect(response.status, response.text).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: `/problems/${code}` });
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
};

const fieldNames = (response: Response): string[] => (response.body.fields as { name: string }[]).map((f) => f.name);

/** A one-call flow whose trigger declares `args`. */
const withArguments = (args: { name: string; required?: boolean }[]) => ({
  trigger: { type: 'api', arguments: args },
  start: 'call',
  components: [
    {
      id: 'call',
      type: 'make_outbound_call',
      config: { from: FROM, to: `{{${args[0]?.name ?? 'contact_number'}}}` },
      exits: { answered: 'end', invalid_number: 'end', busy: 'end', no_answer: 'end' },
    },
    { id: 'end', type: 'end_flow' },
  ],
});

describe.each(DATABASES)('flows: definitions, drafts, validation, versions (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start(db);
  });
  afterAll(() => t.close());

  /** An account owning FROM, so `make_outbound_call.from` validates. */
  async function account(): Promise<TestAccount> {
    const acct = await t.newAccount();
    const number = await t.post('/numbers', { number: FROM, name: 'Main line' }, acct.token);
    expect(number.status, number.text).toBe(201);
    return acct;
  }

  /** A token for another client of the same account, holding only `scopes`. */
  async function tokenFor(acct: TestAccount, scopes: Scope[]): Promise<string> {
    const client = await t.post(`/admin/accounts/${acct.id}/clients`, { name: scopes.join(' '), scopes }, ADMIN_TOKEN);
    expect(client.status, client.text).toBe(201);
    const token = await t.post('/oauth/token', { grant_type: 'client_credentials', client_id: client.body.client_id, client_secret: client.body.client_secret });
    expect(token.status, token.text).toBe(200);
    return token.body.access_token as string;
  }

  async function createFlow(acct: TestAccount, definition: unknown = EXAMPLE, name = 'Installation callback') {
    const created = await t.post('/flows', { name, description: 'Dial the customer, then their agent', definition }, acct.token);
    expect(created.status, created.text).toBe(201);
    return created.body as { id: string; [key: string]: any };
  }

  it('creates a flow holding the definition as its draft, unpublished', async () => {
    const acct = await account();
    const created = await t.post('/flows', { name: 'Installation callback', description: 'Dial, announce, forward', definition: EXAMPLE }, acct.token);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Installation callback',
      description: 'Dial, announce, forward',
      draft: { definition: EXAMPLE },
      published_version: null,
    });
    expect(typeof created.body.id).toBe('string');
    expect(created.body.draft.updated_at).toBe(created.body.created_at);
    expect(created.body.updated_at).toBe(created.body.created_at);
    expect(created.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const fetched = await t.get(`/flows/${created.body.id}`, acct.token);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);

    const bare = await t.post('/flows', { name: 'No description', definition: {} }, acct.token);
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body).toMatchObject({ description: null, draft: { definition: {} } });
  });

  it('rejects a malformed create or draft request, naming each field', async () => {
    const acct = await account();
    const missing = await t.post('/flows', {}, acct.token);
    expectProblem(missing, 400, 'validation_failed');
    expect(fieldNames(missing).sort()).toEqual(['definition', 'name']);

    expectProblem(await t.post('/flows', { name: '  ', definition: {} }, acct.token), 400, 'validation_failed');

    const unknown = await t.post('/flows', { name: 'X', definition: {}, colour: 'red' }, acct.token);
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body.fields).toContainEqual({ name: 'colour', description: 'is not a known field' });

    for (const definition of [[], 'flow', 42, null]) {
      const wrong = await t.post('/flows', { name: 'X', definition }, acct.token);
      expectProblem(wrong, 400, 'validation_failed');
      expect(fieldNames(wrong)).toEqual(['definition']);
    }

    const flow = await createFlow(acct);
    const draft = await t.put(`/flows/${flow.id}/draft`, { definition: [], name: 'renamed' }, acct.token);
    expectProblem(draft, 400, 'validation_failed');
    expect(fieldNames(draft).sort()).toEqual(['definition', 'name']);
    const malformed = await t.request('PUT', `/flows/${flow.id}/draft`, { token: acct.token, raw: '{"definition": ', headers: { 'content-type': 'application/json' } });
    expectProblem(malformed, 400, 'malformed_json');
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body).toEqual(flow);
    expect((await t.get('/flows', acct.token)).body.total).toBe(1);
  });

  it('lists flows as HAL in id order, paged by cursor', async () => {
    const acct = await account();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createFlow(acct, EXAMPLE, `Flow ${i}`)).id);

    const first = await t.get('/flows?per_page=2', acct.token);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ total: 5, count: 2, per_page: 2 });
    expect(first.body._links.self.href).toBe('/flows?per_page=2');
    expect(first.body._embedded.flows[0]).toMatchObject({ draft: { definition: EXAMPLE }, published_version: null });
    const seen: string[] = first.body._embedded.flows.map((f: { id: string }) => f.id);
    let next: string | undefined = first.body._links.next?.href;
    while (next) {
      const page = await t.get(next, acct.token);
      expect(page.status, page.text).toBe(200);
      seen.push(...page.body._embedded.flows.map((f: { id: string }) => f.id));
      next = page.body._links.next?.href;
    }
    // Ids are time-ordered, so this is creation order to the millisecond.
    expect(seen).toEqual([...ids].sort());

    const all = await t.get('/flows', acct.token);
    expect(all.body).toMatchObject({ total: 5, count: 5, per_page: 50 });
    expect(all.body._links.next).toBeUndefined();

    expect((await t.get('/flows', (await t.newAccount()).token)).body).toMatchObject({ total: 0, count: 0, _embedded: { flows: [] } });
    expectProblem(await t.get('/flows?per_page=0', acct.token), 400, 'validation_failed');
    expectProblem(await t.get('/flows?per_page=501', acct.token), 400, 'validation_failed');
    expectProblem(await t.get('/flows?cursor=garbage', acct.token), 400, 'validation_failed');
  });

  it('saves any draft, valid or not, and answers 404 for a flow it does not know', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    const saved = await t.put(`/flows/${flow.id}/draft`, { definition: MANY_PROBLEMS.definition }, acct.token);
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body).toMatchObject({ id: flow.id, name: flow.name, description: flow.description, created_at: flow.created_at, published_version: null });
    expect(saved.body.draft.definition).toEqual(MANY_PROBLEMS.definition);
    expect(Date.parse(saved.body.draft.updated_at)).toBeGreaterThanOrEqual(Date.parse(flow.draft.updated_at));
    expect(saved.body.updated_at).toBe(saved.body.draft.updated_at);
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body).toEqual(saved.body);

    const unknown = '0190b8a0-0000-7000-8000-000000000000';
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', '/draft', { definition: EXAMPLE }],
      ['POST', '/validate', undefined],
      ['POST', '/publish', undefined],
      ['GET', '/versions', undefined],
      ['GET', '/request-details', undefined],
    ] as const) {
      expectProblem(await t.request(method, `/flows/${unknown}${path}`, { token: acct.token, body }), 404, 'not_found');
    }
  });

  it('validates the draft, reporting every problem with its code, component and path', async () => {
    const acct = await account();
    const good = await createFlow(acct);
    const valid = await t.post(`/flows/${good.id}/validate`, undefined, acct.token);
    expect(valid.status, valid.text).toBe(200);
    expect(valid.body).toEqual({ valid: true, errors: [] });

    const bad = await createFlow(acct, MANY_PROBLEMS.definition);
    const invalid = await t.post(`/flows/${bad.id}/validate`, undefined, acct.token);
    expect(invalid.status, invalid.text).toBe(200);
    expect(invalid.body.valid).toBe(false);
    expect(invalid.body.errors.map((e: { code: string }) => e.code).sort()).toEqual([...MANY_PROBLEMS.expect].sort());
    expect(invalid.body.errors).toContainEqual({
      component: 'call',
      path: '$.components[1].config.ring_timeout_s',
      code: 'invalid_config',
      message: 'components[1].config.ring_timeout_s must be a whole number from 10 to 35',
    });
    for (const error of invalid.body.errors) expect(Object.keys(error).sort()).toEqual(['code', 'component', 'message', 'path']);

    // Validate works on the stored draft: an empty object is accepted, anything else is not.
    expect((await t.post(`/flows/${good.id}/validate`, {}, acct.token)).body).toEqual({ valid: true, errors: [] });
    const withBody = await t.post(`/flows/${good.id}/validate`, { definition: MANY_PROBLEMS.definition }, acct.token);
    expectProblem(withBody, 400, 'validation_failed');
    expect(withBody.body.fields).toEqual([{ name: 'definition', description: 'is not a known field' }]);
  });

  it("checks make_outbound_call.from against the account's current numbers", async () => {
    const acct = await t.newAccount();
    const flow = await createFlow(acct);
    const report = await t.post(`/flows/${flow.id}/validate`, {}, acct.token);
    expect(report.body).toEqual({
      valid: false,
      errors: [
        {
          component: 'call_customer',
          path: '$.components[0].config.from',
          code: 'unknown_from_number',
          message: "components[0].config.from +14155550100 is not one of the account's numbers",
        },
      ],
    });
    const refused = await t.post(`/flows/${flow.id}/publish`, undefined, acct.token);
    expectProblem(refused, 422, 'invalid_flow_definition');
    expect(refused.body.fields).toEqual([{ name: 'components.call_customer.config.from', description: "+14155550100 is not one of the account's numbers" }]);

    // Another account's number does not count.
    const other = await t.newAccount();
    await t.post('/numbers', { number: FROM, name: 'Theirs' }, other.token);
    expect((await t.post(`/flows/${flow.id}/validate`, undefined, acct.token)).body.valid).toBe(false);

    await t.post('/numbers', { number: FROM, name: 'Main line' }, acct.token);
    expect((await t.post(`/flows/${flow.id}/validate`, undefined, acct.token)).body).toEqual({ valid: true, errors: [] });
    expect((await t.post(`/flows/${flow.id}/publish`, undefined, acct.token)).status).toBe(201);
  });

  it('refuses to publish an invalid draft: 422 with every problem, and nothing published', async () => {
    const acct = await account();
    const flow = await createFlow(acct, MANY_PROBLEMS.definition);
    const validated = (await t.post(`/flows/${flow.id}/validate`, undefined, acct.token)).body;

    const refused = await t.post(`/flows/${flow.id}/publish`, undefined, acct.token);
    expectProblem(refused, 422, 'invalid_flow_definition');
    expect(refused.body.title).toBe('Flow definition is invalid');
    expect(refused.body.detail).toContain('11 problems');
    expect(refused.body.errors).toEqual(validated.errors);
    expect(refused.body.fields).toHaveLength(validated.errors.length);
    // Fields name components by id, in the API's dotted style, with what is wrong.
    expect(refused.body.fields).toContainEqual({ name: 'components.call.config.ring_timeout_s', description: 'must be a whole number from 10 to 35' });
    expect(refused.body.fields).toContainEqual({ name: 'components.hours.config.timezone', description: 'must be an IANA time zone such as Europe/Lisbon' });
    expect(refused.body.fields).toContainEqual({ name: 'components.split.config.branches', description: 'percentages must add up to 100, not 90' });
    expect(refused.body.fields).toContainEqual({ name: 'components.call.exits.busy', description: 'exit "busy" of make_outbound_call must be wired to a component' });
    expect(refused.body.fields).toContainEqual({ name: 'components.lonely', description: '"lonely" cannot be reached from the start component "greet"' });
    // Two components share the id "end": the second is named by its position.
    expect(fieldNames(refused)).toContain('components.8.id');

    expect((await t.get(`/flows/${flow.id}`, acct.token)).body.published_version).toBeNull();
    expect((await t.get(`/flows/${flow.id}/versions`, acct.token)).body).toMatchObject({ total: 0, count: 0, _embedded: { versions: [] } });
    expectProblem(await t.get(`/flows/${flow.id}/request-details`, acct.token), 404, 'flow_not_published');
  });

  it('names definition-wide problems by their field', async () => {
    const acct = await account();
    const flow = await createFlow(acct, { trigger: { type: 'api', arguments: [{ name: 'a' }, { name: 'a' }] }, components: [{ id: 'end', type: 'end_flow' }], colour: 'red' });
    const refused = await t.post(`/flows/${flow.id}/publish`, undefined, acct.token);
    expectProblem(refused, 422, 'invalid_flow_definition');
    expect(refused.body.errors.map((e: { code: string }) => e.code).sort()).toEqual(['duplicate_argument', 'duplicate_argument', 'invalid_definition', 'missing_start']);
    expect(refused.body.fields).toEqual(
      expect.arrayContaining([
        { name: 'colour', description: 'is not a known field' },
        { name: 'start', description: 'is required: the id of the first component to run' },
        { name: 'trigger.arguments.1.name', description: '"a" is already used by trigger.arguments[0]' },
      ]),
    );
  });

  it('publishes a valid draft as numbered versions that later draft edits never change', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    const first = await t.post(`/flows/${flow.id}/publish`, undefined, acct.token);
    expect(first.status, first.text).toBe(201);
    expect(first.body).toEqual({ flow_version_id: expect.any(String), version: 1, published_at: expect.stringMatching(/Z$/) });
    expect(first.body.flow_version_id).not.toBe(flow.id);

    const afterFirst = (await t.get(`/flows/${flow.id}`, acct.token)).body;
    expect(afterFirst.published_version).toEqual(first.body);
    expect(afterFirst.draft.definition).toEqual(EXAMPLE);

    const versionsBefore = await t.get(`/flows/${flow.id}/versions`, acct.token);
    expect(versionsBefore.status, versionsBefore.text).toBe(200);
    const v1 = versionsBefore.body._embedded.versions[0];
    expect(v1).toMatchObject({ ...first.body, flow_id: flow.id });
    // The version holds the definition as validated, defaults applied.
    expect(v1.definition.components[2]).toMatchObject({ id: 'call_agent', config: { ring_timeout_s: 15 } });
    expect(v1.definition.components[3]).toEqual({ id: 'end', type: 'end_flow', config: {}, exits: {} });
    expect(v1.definition.trigger).toEqual(EXAMPLE.trigger);

    // Edit the draft: version 1 stays exactly as published.
    const edited = structuredClone(EXAMPLE);
    edited.components[1].config.tts.text = 'A different message.';
    edited.components[0].config.ring_timeout_s = 30;
    expect((await t.put(`/flows/${flow.id}/draft`, { definition: edited }, acct.token)).status).toBe(200);
    expect((await t.put(`/flows/${flow.id}/draft`, { definition: MANY_PROBLEMS.definition }, acct.token)).status).toBe(200);
    const untouched = await t.get(`/flows/${flow.id}/versions`, acct.token);
    expect(untouched.body._embedded.versions).toEqual([v1]);
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body.published_version).toEqual(first.body);

    expect((await t.put(`/flows/${flow.id}/draft`, { definition: edited }, acct.token)).status).toBe(200);
    const second = await t.post(`/flows/${flow.id}/publish`, undefined, acct.token);
    expect(second.status, second.text).toBe(201);
    expect(second.body.version).toBe(2);
    expect(second.body.flow_version_id).not.toBe(first.body.flow_version_id);
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body.published_version).toEqual(second.body);

    const versions = await t.get(`/flows/${flow.id}/versions`, acct.token);
    expect(versions.body).toMatchObject({ total: 2, count: 2 });
    const [latest, oldest] = versions.body._embedded.versions;
    expect(latest).toMatchObject({ ...second.body, flow_id: flow.id });
    expect(latest.definition.components[0].config.ring_timeout_s).toBe(30);
    expect(latest.definition.components[1].config.tts.text).toBe('A different message.');
    expect(oldest).toEqual(v1);
  });

  it('pages versions newest first by cursor', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    for (let i = 0; i < 3; i++) expect((await t.post(`/flows/${flow.id}/publish`, undefined, acct.token)).status).toBe(201);
    const first = await t.get(`/flows/${flow.id}/versions?per_page=2`, acct.token);
    expect(first.body).toMatchObject({ total: 3, count: 2, per_page: 2 });
    expect(first.body._embedded.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const second = await t.get(first.body._links.next.href, acct.token);
    expect(second.body).toMatchObject({ total: 3, count: 1 });
    expect(second.body._embedded.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(second.body._links.next).toBeUndefined();
    expectProblem(await t.get(`/flows/${flow.id}/versions?cursor=garbage`, acct.token), 400, 'validation_failed');
  });

  it('numbers concurrent publishes without gaps or repeats', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.post(`/flows/${flow.id}/publish`, undefined, acct.token)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4, 5]);
    const latest = results.find((r) => r.body.version === 5)?.body;
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body.published_version).toEqual(latest);
    expect((await t.get(`/flows/${flow.id}/versions`, acct.token)).body.total).toBe(5);
  });

  it('publishes nothing when the draft changes while it is being validated', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    const { storage, clock } = t.services;
    // The number lookup runs between reading the draft and publishing it: edit the draft there.
    const racing = new FlowsService(storage, clock, async () => {
      await t.put(`/flows/${flow.id}/draft`, { definition: withArguments([{ name: 'contact_1' }]) }, acct.token);
      return { numbers: [FROM], skills: [] };
    }, () => true);
    await expect(racing.publish(acct.id, flow.id)).rejects.toMatchObject({ code: 'conflict' });
    expect((await t.get(`/flows/${flow.id}`, acct.token)).body.published_version).toBeNull();
    expect((await t.get(`/flows/${flow.id}/versions`, acct.token)).body.total).toBe(0);
  });

  it('describes how to start the published version', async () => {
    const acct = await account();
    const flow = await createFlow(acct);
    expectProblem(await t.get(`/flows/${flow.id}/request-details`, acct.token), 404, 'flow_not_published');

    const published = (await t.post(`/flows/${flow.id}/publish`, undefined, acct.token)).body;
    const details = await t.request('GET', `/flows/${flow.id}/request-details`, { token: acct.token, headers: { host: 'switchboard.example.com:8443' } });
    expect(details.status, details.text).toBe(200);
    const url = `http://switchboard.example.com:8443/flows/${flow.id}/interactions`;
    expect(details.body).toEqual({
      flow_id: flow.id,
      flow_version_id: published.flow_version_id,
      version: 1,
      method: 'POST',
      url,
      path: `/flows/${flow.id}/interactions`,
      scope: 'flows-interactions:start',
      content_type: 'application/json',
      arguments: [
        { name: 'contact_1', required: true },
        { name: 'contact_2', required: true },
      ],
      sample_request: {
        method: 'POST',
        url,
        headers: { Authorization: 'Bearer <access_token>', 'Content-Type': 'application/json' },
        body: { contact_1: '<contact_1>', contact_2: '<contact_2>' },
      },
    });

    // A draft edit changes nothing until it is published; then the details follow the new version.
    const next = withArguments([{ name: 'customer', required: true }, { name: 'reference' }]);
    await t.put(`/flows/${flow.id}/draft`, { definition: next }, acct.token);
    expect((await t.get(`/flows/${flow.id}/request-details`, acct.token)).body.version).toBe(1);
    const republished = (await t.post(`/flows/${flow.id}/publish`, undefined, acct.token)).body;
    const updated = (await t.get(`/flows/${flow.id}/request-details`, acct.token)).body;
    expect(updated).toMatchObject({
      flow_version_id: republished.flow_version_id,
      version: 2,
      arguments: [
        { name: 'customer', required: true },
        { name: 'reference', required: false },
      ],
      sample_request: { body: { customer: '<customer>', reference: '<reference>' } },
    });
  });

  it('lists no arguments for a flow that declares none', async () => {
    const acct = await account();
    const flow = await createFlow(acct, withArguments([]));
    expect((await t.post(`/flows/${flow.id}/publish`, undefined, acct.token)).status).toBe(201);
    const details = (await t.get(`/flows/${flow.id}/request-details`, acct.token)).body;
    expect(details.arguments).toEqual([]);
    expect(details.sample_request.body).toEqual({});
  });

  it('replays a create or a publish sent again with the same Idempotency-Key', async () => {
    const acct = await account();
    const headers = { 'idempotency-key': 'create-installation-flow' };
    const body = { name: 'Installation callback', definition: EXAMPLE };
    const created = await t.post('/flows', body, acct.token, headers);
    expect(created.status).toBe(201);
    const repeat = await t.post('/flows', body, acct.token, headers);
    expect(repeat.status).toBe(201);
    expect(repeat.headers['idempotent-replayed']).toBe('true');
    expect(repeat.body).toEqual(created.body);
    expect((await t.get('/flows', acct.token)).body.total).toBe(1);
    expectProblem(await t.post('/flows', { ...body, name: 'Other' }, acct.token, headers), 422, 'idempotency_key_reused');

    const publishKey = { 'idempotency-key': 'publish-1' };
    const published = await t.post(`/flows/${created.body.id}/publish`, undefined, acct.token, publishKey);
    expect(published.status).toBe(201);
    const replayed = await t.post(`/flows/${created.body.id}/publish`, undefined, acct.token, publishKey);
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(published.body);
    expect((await t.get(`/flows/${created.body.id}/versions`, acct.token)).body.total).toBe(1);
  });

  it('requires a token (401) and the right scope (403) on every route', async () => {
    const owner = await account();
    const flow = await createFlow(owner);
    const read = ['flows:read'];
    const write = ['flow-definitions:write'];
    const routes: [string, string, unknown, string[]][] = [
      ['POST', '/flows', { name: 'X', definition: EXAMPLE }, write],
      ['GET', '/flows', undefined, read],
      ['GET', `/flows/${flow.id}`, undefined, read],
      ['PUT', `/flows/${flow.id}/draft`, { definition: EXAMPLE }, write],
      // Whoever may publish may check first.
      ['POST', `/flows/${flow.id}/validate`, undefined, ['flows:read', 'flow-definitions:write']],
      ['POST', `/flows/${flow.id}/publish`, undefined, write],
      ['GET', `/flows/${flow.id}/versions`, undefined, read],
      ['GET', `/flows/${flow.id}/request-details`, undefined, read],
    ];
    const reader = await t.newAccount(['flows:read']);
    const writer = await t.newAccount(['flow-definitions:write']);
    const starter = await t.newAccount(['flows-interactions:start', 'directory:read']);
    const scopesOf = new Map([[reader, read], [writer, write], [starter, ['flows-interactions:start', 'directory:read']]]);
    for (const [method, url, body, accepted] of routes) {
      const anonymous = await t.request(method, url, { body });
      expectProblem(anonymous, 401, 'unauthorized');
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
      expectProblem(await t.request(method, url, { body, token: 'not-a-token' }), 401, 'unauthorized');
      const lacking = [...scopesOf].filter(([, scopes]) => !scopes.some((scope) => accepted.includes(scope))).map(([acct]) => acct);
      expect(lacking.length).toBeGreaterThan(0);
      for (const acct of lacking) {
        const denied = await t.request(method, url, { body, token: acct.token });
        expectProblem(denied, 403, 'insufficient_scope');
        expect(denied.headers['www-authenticate']).toContain(`scope="${accepted.join(' ')}"`);
      }
    }
    // The owning account's flow is untouched by all of that.
    expect((await t.get(`/flows/${flow.id}`, owner.token)).body).toEqual(flow);
  });

  it('lets each scope do its part: a writer builds and publishes, a reader validates and reads', async () => {
    const acct = await account();
    const writer = await tokenFor(acct, ['flow-definitions:write']);
    const reader = await tokenFor(acct, ['flows:read']);
    const created = await t.post('/flows', { name: 'X', definition: EXAMPLE }, writer);
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    expect((await t.put(`/flows/${id}/draft`, { definition: EXAMPLE }, writer)).status).toBe(200);
    expect((await t.post(`/flows/${id}/validate`, undefined, reader)).body).toEqual({ valid: true, errors: [] });
    expect((await t.post(`/flows/${id}/publish`, undefined, writer)).status).toBe(201);
    expect((await t.get('/flows', reader)).body.total).toBe(1);
    expect((await t.get(`/flows/${id}`, reader)).status).toBe(200);
    expect((await t.get(`/flows/${id}/versions`, reader)).body.total).toBe(1);
    expect((await t.get(`/flows/${id}/request-details`, reader)).status).toBe(200);
  });
});
