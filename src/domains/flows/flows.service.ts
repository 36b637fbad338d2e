import type { Clock } from '../../kernel/clock.js';
import { notFound } from '../../kernel/errors.js';
import { newId } from '../../kernel/ids.js';
import { pageOf, type Page } from '../../kernel/page.js';
import type { Storage } from '../../ports/storage.js';
import { validateDefinition, type FlowDefinition, type ValidationResult } from './definition/index.js';
import { draftChanged, invalidDraft, notPublished } from './flows.errors.js';
import {
  INTERACTIONS_METHOD,
  INTERACTIONS_SCOPE,
  interactionsPath,
  type DraftDefinition,
  type Flow,
  type FlowInput,
  type FlowVersion,
  type RequestDetails,
  type ValidationReport,
  type VersionRef,
} from './flows.model.js';
import { flowsRepo, type StoredFlow } from './flows.repo.js';

/** What a flow may name of its account: its own numbers (`make_outbound_call.from`) and its skills (`request_direct_callback.skill`). */
export type AccountFacts = (accountId: string) => Promise<{ numbers: Iterable<string>; skills: Iterable<string> }>;

/**
 * Flow definitions: a flow has one editable draft and an append-only history of published
 * versions. Only a draft that validates publishes; a published version never changes.
 */
export class FlowsService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly accountFacts: AccountFacts,
    /** Whether text-to-speech has a voice for a language: prompts in another cannot publish. */
    private readonly speaks: (language: string) => boolean,
  ) {}

  async create(accountId: string, input: FlowInput): Promise<Flow> {
    const now = this.clock.now();
    const at = now.toISOString();
    const flow: Flow = {
      id: newId(now.getTime()),
      name: input.name,
      description: input.description,
      draft: { definition: input.definition, updated_at: at },
      published_version: null,
      created_at: at,
      updated_at: at,
    };
    await flowsRepo(this.storage.db).insert(accountId, flow);
    return flow;
  }

  async get(accountId: string, id: string): Promise<Flow> {
    return (await this.find(accountId, id)).flow;
  }

  async list(accountId: string, after: string | undefined, perPage: number): Promise<Page<Flow>> {
    const repo = flowsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.list(accountId, after, perPage + 1), repo.count(accountId)]);
    return pageOf(rows, perPage, total, (row) => row.id);
  }

  /** Saves the draft whatever its problems; published versions are untouched. */
  async replaceDraft(accountId: string, id: string, definition: DraftDefinition): Promise<Flow> {
    if (!(await flowsRepo(this.storage.db).replaceDraft(accountId, id, definition, this.clock.now().toISOString()))) throw notFound('flow');
    return this.get(accountId, id);
  }

  async validate(accountId: string, id: string): Promise<ValidationReport> {
    const { flow } = await this.find(accountId, id);
    const { problems } = await this.check(accountId, flow.draft.definition);
    return { valid: problems.length === 0, errors: problems };
  }

  /**
   * Publishes the draft as the next numbered version. The version holds the definition exactly as
   * validated: should the draft change between reading and publishing, nothing is published.
   */
  async publish(accountId: string, id: string): Promise<VersionRef> {
    const stored = await this.find(accountId, id);
    const { definition, problems } = await this.check(accountId, stored.flow.draft.definition);
    if (definition === null) throw invalidDraft(problems, stored.flow.draft.definition);
    const now = this.clock.now();
    const version = { id: newId(now.getTime()), definition, publishedAt: now.toISOString() };
    const number = await this.storage.db.transaction().execute(async (trx) => {
      const repo = flowsRepo(trx);
      const claimed = await repo.claimNextVersion(accountId, id, stored.draftText, version);
      if (claimed !== undefined) await repo.insertVersion(accountId, id, claimed, version);
      return claimed;
    });
    if (number === undefined) throw draftChanged();
    return { flow_version_id: version.id, version: number, published_at: version.publishedAt };
  }

  /** Newest first; the cursor is the last version number seen. */
  async versions(accountId: string, id: string, below: number | undefined, perPage: number): Promise<Page<FlowVersion>> {
    await this.find(accountId, id);
    const repo = flowsRepo(this.storage.db);
    const [rows, total] = await Promise.all([repo.listVersions(accountId, id, below, perPage + 1), repo.countVersions(accountId, id)]);
    return pageOf(rows, perPage, total, (row) => row.version);
  }

  /** How to start the published version; `baseUrl` is this API's origin as the caller reached it. */
  async requestDetails(accountId: string, id: string, baseUrl: string): Promise<RequestDetails> {
    const { flow } = await this.find(accountId, id);
    if (flow.published_version === null) throw notPublished();
    const version = await flowsRepo(this.storage.db).findVersion(accountId, flow.published_version.flow_version_id);
    if (version === undefined) throw notPublished();
    const args = version.definition.trigger.arguments.map((arg) => ({ name: arg.name, required: arg.required }));
    const path = interactionsPath(flow.id);
    const url = `${baseUrl}${path}`;
    return {
      flow_id: flow.id,
      flow_version_id: version.flow_version_id,
      version: version.version,
      method: INTERACTIONS_METHOD,
      url,
      path,
      scope: INTERACTIONS_SCOPE,
      content_type: 'application/json',
      arguments: args,
      sample_request: {
        method: INTERACTIONS_METHOD,
        url,
        headers: { Authorization: 'Bearer <access_token>', 'Content-Type': 'application/json' },
        body: Object.fromEntries(args.map((arg) => [arg.name, `<${arg.name}>`])),
      },
    };
  }

  private async find(accountId: string, id: string): Promise<StoredFlow> {
    const stored = await flowsRepo(this.storage.db).find(accountId, id);
    if (!stored) throw notFound('flow');
    return stored;
  }

  /**
   * The definition a simulation runs: the draft, which must be valid (422 with every problem
   * otherwise), or published version `version` (404 when there is none).
   */
  async runnable(accountId: string, id: string, version: 'draft' | number): Promise<{ definition: FlowDefinition; versionId: string }> {
    const stored = await this.find(accountId, id);
    if (version === 'draft') {
      const { definition, problems } = await this.check(accountId, stored.flow.draft.definition);
      if (!definition) throw invalidDraft(problems, stored.flow.draft.definition);
      return { definition, versionId: 'draft' };
    }
    const found = await flowsRepo(this.storage.db).findVersionNumber(accountId, id, version);
    if (!found) throw notFound(`version ${version} of the flow`);
    return { definition: found.definition, versionId: found.flow_version_id };
  }

  private async check(accountId: string, draft: DraftDefinition): Promise<ValidationResult> {
    const { numbers, skills } = await this.accountFacts(accountId);
    return validateDefinition(draft, { accountNumbers: numbers, accountSkills: skills, speaks: this.speaks });
  }
}
