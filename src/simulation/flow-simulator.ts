import { rateLimited } from '../domains/accounts/index.js';
import type { CaseStatusesService } from '../domains/cases/index.js';
import type { SkillsService } from '../domains/directory/index.js';
import type { FlowsService, SecretStore } from '../domains/flows/index.js';
import type { TextToSpeech } from '../ports/tts.js';
import type { Scenario } from './scenario.js';
import { simulateFlow, type SimulationResult } from './simulate-flow.js';

/**
 * Simulations one account may run at once on a node. A simulation takes real time only for what
 * it cannot fake (run_function's sandbox, text-to-speech) but that can be up to a minute, so an
 * account firing hundreds at once would hold the node's sandbox threads and event loop.
 */
export const SIMULATIONS_AT_ONCE = 4;

/** `POST /flows/{flow_id}/simulate`: an account's draft or version against a scenario, with the account's skills and case statuses. */
export class FlowSimulator {
  /** Simulations under way on this node, by account. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly flows: FlowsService,
    private readonly skills: SkillsService,
    private readonly tts: TextToSpeech,
    private readonly caseStatuses: CaseStatusesService,
    private readonly countryOf: (accountId: string) => Promise<string>,
    private readonly account: {
      ownsNumber(accountId: string, number: string): Promise<boolean>;
      secrets: SecretStore;
    },
  ) {}

  /** Runs one simulation; 429 `rate_limited` while the account already runs {@link SIMULATIONS_AT_ONCE} here. */
  async simulate(accountId: string, flowId: string, scenario: Scenario): Promise<SimulationResult> {
    const running = this.running.get(accountId) ?? 0;
    if (running >= SIMULATIONS_AT_ONCE) throw rateLimited(1);
    this.running.set(accountId, running + 1);
    try {
      return await this.run(accountId, flowId, scenario);
    } finally {
      const left = (this.running.get(accountId) ?? 1) - 1;
      if (left === 0) this.running.delete(accountId);
      else this.running.set(accountId, left);
    }
  }

  private async run(accountId: string, flowId: string, scenario: Scenario): Promise<SimulationResult> {
    const { definition, versionId } = await this.flows.runnable(accountId, flowId, scenario.version);
    const skillExists = async (name: string) => (await this.skills.findByExactName(accountId, name)) !== undefined;
    const caseStatus = (name: string) => this.caseStatuses.byName(accountId, name);
    const country = await this.countryOf(accountId);
    const ownsNumber = (number: string) => this.account.ownsNumber(accountId, number);
    const readSecret = (ref: string) => this.account.secrets.read(accountId, ref);
    return simulateFlow(definition, scenario, { tts: this.tts, skillExists, caseStatus, country, accountId, ownsNumber, readSecret }, { flowId, flowVersionId: versionId });
  }
}
