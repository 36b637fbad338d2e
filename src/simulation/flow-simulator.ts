import type { CaseStatusesService } from '../domains/cases/index.js';
import type { SkillsService } from '../domains/directory/index.js';
import type { FlowsService } from '../domains/flows/index.js';
import type { TextToSpeech } from '../ports/tts.js';
import type { Scenario } from './scenario.js';
import { simulateFlow, type SimulationResult } from './simulate-flow.js';

/** `POST /flows/{flow_id}/simulate`: an account's draft or version against a scenario, with the account's skills and case statuses. */
export class FlowSimulator {
  constructor(
    private readonly flows: FlowsService,
    private readonly skills: SkillsService,
    private readonly tts: TextToSpeech,
    private readonly caseStatuses: CaseStatusesService,
    private readonly countryOf: (accountId: string) => Promise<string>,
  ) {}

  async simulate(accountId: string, flowId: string, scenario: Scenario): Promise<SimulationResult> {
    const { definition, versionId } = await this.flows.runnable(accountId, flowId, scenario.version);
    const skillExists = async (name: string) => (await this.skills.findByExactName(accountId, name)) !== undefined;
    const caseStatus = (name: string) => this.caseStatuses.byName(accountId, name);
    const country = await this.countryOf(accountId);
    return simulateFlow(definition, scenario, { tts: this.tts, skillExists, caseStatus, country }, { flowId, flowVersionId: versionId });
  }
}
