import type { Database } from '../src/ports/storage.js';
import { buildSearchText, PRIORITY_RANK, type CasePriority, type CaseType, type StatusCategory } from '../src/domains/cases/index.js';
import { newId } from '../src/kernel/ids.js';
import { expectStatus } from './lib/http.js';
import { ADMIN_TOKEN } from './continuity.js';
import { description, note, pick, random, requesterName, title, weighted, type Rng } from './cases-corpus.js';

/**
 * Seeds the cases benchmark: one account, its agents, groups and custom statuses through the API
 * (so they are what the server would store), then `count` cases and their notes in multi-row
 * inserts, written in the shape `POST /cases` and `POST /cases/{id}/notes` store them.
 */
export { ADMIN_TOKEN, SIGNING_SECRET } from './continuity.js';

export const AGENTS = 200;
export const GROUPS = 10;
export const REQUESTERS = 100_000;
/** Cases are spread over the two years before the seed. */
const SPAN_MS = 2 * 365 * 86_400_000;

export interface Status {
  id: string;
  name: string;
  category: StatusCategory;
}

export interface Fixture {
  accountId: string;
  clientId: string;
  token: string;
  agents: string[];
  groups: string[];
  /** The custom statuses; the built-in ones are their categories. */
  custom: Status[];
}

const CUSTOM_STATUSES: { name: string; category: StatusCategory }[] = [
  { name: 'In progress', category: 'open' },
  { name: 'Escalated', category: 'open' },
  { name: 'Awaiting customer', category: 'pending' },
  { name: 'Awaiting vendor', category: 'on_hold' },
  { name: 'Solved, confirmed', category: 'resolved' },
];

/** The account, a token with the cases and directory scopes, 200 agents in 10 groups and five custom statuses. */
export async function setUp(base: string): Promise<Fixture> {
  const post = async <T>(path: string, body: unknown, token: string) => (await expectStatus<T>(201, base, 'POST', path, { token, body })).body;
  const account = await post<{ id: string }>('/admin/accounts', { name: 'Cases benchmark' }, ADMIN_TOKEN);
  const scopes = ['cases-public:read', 'cases-public:write', 'directory:read', 'directory:write'];
  const client = await post<{ client_id: string; client_secret: string }>(`/admin/accounts/${account.id}/clients`, { name: 'bench', scopes }, ADMIN_TOKEN);
  const issued = await expectStatus<{ access_token: string }>(200, base, 'POST', '/oauth/token', {
    body: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  const token = issued.body.access_token;
  const agents: string[] = [];
  for (let a = 0; a < AGENTS; a++) agents.push((await post<{ id: string }>('/agents', { name: `Agent ${a + 1}`, email: `agent${a + 1}@support.example.com` }, token)).id);
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const members = agents.filter((_, a) => a % GROUPS === g);
    groups.push((await post<{ id: string }>('/groups', { name: `Team ${g + 1}`, agent_ids: members }, token)).id);
  }
  const custom: Status[] = [];
  for (const status of CUSTOM_STATUSES) custom.push(await post<Status>('/case-statuses', status, token));
  return { accountId: account.id, clientId: client.client_id, token, agents, groups, custom };
}

export type CaseRow = Database['cases'];
export type NoteRow = Database['case_notes'];

/** Where a case of age `ageDays` stands: old cases are mostly closed, recent ones spread over the open categories. */
function statusOf(rng: Rng, ageDays: number, custom: Status[]): Status {
  const byName = (name: string) => custom.find((s) => s.name === name) as Status;
  const builtIn = (category: StatusCategory): Status => ({ id: category, name: category, category });
  const table: [Status, number][] =
    ageDays > 30
      ? [[builtIn('closed'), 86], [builtIn('resolved'), 6], [byName('Solved, confirmed'), 3], [builtIn('on_hold'), 1], [byName('Awaiting vendor'), 1], [builtIn('pending'), 1], [builtIn('open'), 2]]
      : [
          [builtIn('new'), 14], [builtIn('open'), 18], [byName('In progress'), 12], [byName('Escalated'), 4], [builtIn('pending'), 8],
          [byName('Awaiting customer'), 8], [builtIn('on_hold'), 3], [byName('Awaiting vendor'), 3], [builtIn('resolved'), 14],
          [byName('Solved, confirmed'), 6], [builtIn('closed'), 10],
        ];
  return weighted(rng, table);
}

const PRIORITY_TABLE: [CasePriority | null, number][] = [[null, 25], ['low', 15], ['normal', 40], ['high', 15], ['urgent', 5]];
const TYPE_TABLE: [CaseType, number][] = [['question', 45], ['incident', 30], ['problem', 5], ['task', 20]];
const CHANNEL_TABLE: [string, number][] = [['phone', 40], ['email', 35], ['chat', 15], ['api', 5], ['voicemail', 5]];
const RELATED = JSON.stringify({ calls: [], interactions: [], messages: [], callbacks: [] });

export interface Generated {
  cases: CaseRow[];
  notes: NoteRow[];
}

/**
 * Cases `from` to `to - 1` of `count`, oldest first (case `count - 1` created just before `nowMs`),
 * each drawn from its own seeded source: the same case on every run and every database.
 */
export function generate(fixture: Fixture, count: number, from: number, to: number, nowMs: number): Generated {
  const cases: CaseRow[] = [];
  const notes: NoteRow[] = [];
  for (let i = from; i < to; i++) {
    const rng = random(i * 7919 + 17);
    const createdMs = nowMs - SPAN_MS + Math.floor(((i + rng()) * SPAN_MS) / count) - 60_000;
    const ageDays = (nowMs - createdMs) / 86_400_000;
    const status = statusOf(rng, ageDays, fixture.custom);
    const priority = weighted(rng, PRIORITY_TABLE);
    const type = weighted(rng, TYPE_TABLE);
    const assigned = status.category !== 'new' || rng() < 0.3;
    const agent = assigned && rng() < 0.95 ? Math.floor(rng() ** 1.3 * AGENTS) : undefined;
    const requester = Math.floor(rng() * REQUESTERS);
    const name = requesterName(requester);
    const id = newId(createdMs);
    const caseTitle = title(rng);
    const caseDescription = description(rng, name);
    const closedish = status.category === 'resolved' || status.category === 'closed';
    const updatedMs = Math.min(nowMs - 1000, createdMs + Math.floor(rng() * Math.min(ageDays, 14) * 86_400_000));
    const createdAt = new Date(createdMs).toISOString();
    const bodies: string[] = [];
    const noteCount = rng() < 0.35 ? 1 + Math.floor(rng() * 3) : 0;
    for (let n = 0; n < noteCount; n++) {
      const body = note(rng);
      bodies.push(body);
      const at = new Date(createdMs + Math.floor(((n + 1) * (updatedMs - createdMs)) / (noteCount + 1))).toISOString();
      notes.push({ account_id: fixture.accountId, id: newId(Date.parse(at)), case_id: id, body, visibility: rng() < 0.7 ? 'internal' : 'public', author: fixture.clientId, created_at: at });
    }
    const updatedAt = new Date(updatedMs).toISOString();
    cases.push({
      account_id: fixture.accountId,
      id,
      title: caseTitle,
      description: caseDescription,
      status_id: status.id,
      status_category: status.category,
      type,
      priority,
      priority_rank: priority === null ? 0 : PRIORITY_RANK[priority],
      requester_id: `cust-${requester}`,
      requester_name: name,
      requester_email: `customer${requester}@example.com`,
      requester_phone: `+3519${String(10_000_000 + requester).slice(-8)}`,
      assignee_id: agent === undefined ? null : (fixture.agents[agent] ?? null),
      group_id: agent === undefined ? (rng() < 0.5 ? pick(rng, fixture.groups) : null) : (fixture.groups[agent % GROUPS] ?? null),
      problem_id: null,
      due_at: type === 'task' ? new Date(createdMs + 3 * 86_400_000).toISOString() : null,
      resolution: closedish ? 'Resolved with the customer.' : null,
      custom_fields: rng() < 0.2 ? JSON.stringify({ order_value: Math.round(rng() * 500) }) : '{}',
      channel: weighted(rng, CHANNEL_TABLE),
      related: RELATED,
      search_text: buildSearchText(caseTitle, caseDescription, bodies),
      created_by: fixture.clientId,
      created_at: createdAt,
      updated_at: updatedAt,
      resolved_at: closedish ? updatedAt : null,
      closed_at: status.category === 'closed' ? updatedAt : null,
      // A few cases sit in the trash.
      deleted_at: rng() < 0.003 ? updatedAt : null,
    });
  }
  return { cases, notes };
}
