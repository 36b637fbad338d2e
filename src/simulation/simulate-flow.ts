import { ScriptedHttpClient } from '../adapters/http/scripted-client.js';
import { DEFAULT_SCRIPT, ScriptedCallControl } from '../adapters/telephony/simulated/index.js';
import { undialable, unknownSkill } from '../domains/callbacks/index.js';
import type { CallRecord } from '../domains/continuity/index.js';
import { COMPONENT_HANDLERS, interpret, loadVersion, startState, type FlowDefinition, type FlowServices, type Step } from '../domains/flows/index.js';
import { ManualClock } from '../kernel/clock.js';
import { toAssignedE164 } from '../kernel/phone.js';
import { seededRandom } from '../kernel/random.js';
import type { TextToSpeech } from '../ports/tts.js';
import { checkExpectations, type ExpectationReport } from './expectations.js';
import { MemoryCallRecords } from './memory-calls.js';
import { MemoryCases, type CaseStatusLookup, type SimulatedCase, type SimulatedCaseUpdate } from './memory-cases.js';
import type { Scenario } from './scenario.js';
import { onVirtualTime } from './virtual-time.js';

export interface SimulationParts {
  /** Resolves the languages prompts name; nothing is rendered in a simulation. */
  tts: Pick<TextToSpeech, 'languages' | 'resolve'>;
  /** Whether request_direct_callback's skill exists; without it, every skill does. */
  skillExists?: (name: string) => Promise<boolean>;
  /** The account's case status by name, for create_case and update_case; without it, only the built-in ones exist. */
  caseStatus?: CaseStatusLookup;
  /** The account's `default_country`, for numbers written without `+`; without it, `US` (an account's default). */
  country?: string;
  /** The account simulated: whose turn it is when simulations wait for the sandbox's threads. */
  accountId?: string;
  /** Whether make_outbound_call's `from` is still one of the account's numbers; without it, every number is. */
  ownsNumber?: (number: string) => Promise<boolean>;
  /** Reads a Salesforce connection's secret, to fail as a real run would when it is missing (the token itself is never sent anywhere). */
  readSecret?: (ref: string) => Promise<string>;
}

/** A new account's default country (API.md), used when the simulation names none. */
const DEFAULT_COUNTRY = 'US';

export interface SimulationResult {
  status: 'completed' | 'failed';
  reason: string | null;
  steps: Step[];
  variables: Record<string, string>;
  /** How much time passed on the simulation's clock. */
  virtual_duration_s: number;
  calls: CallRecord[];
  requests: { method: string; url: string }[];
  callbacks: { skill: string; number: string }[];
  /** What create_case and update_case would have written; nothing is stored. */
  cases: { created: SimulatedCase[]; updated: SimulatedCaseUpdate[] };
  expectations?: ExpectationReport;
}

const SIMULATION_ACCOUNT = 'simulation';

/**
 * Runs a flow definition against a scenario on a private network, scripted HTTP and a virtual
 * clock: the same interpreter and component handlers as real interactions, with nothing real
 * dialled, requested or stored. Rejects with a 400 DomainError when the arguments do not match.
 */
export async function simulateFlow(definition: FlowDefinition, scenario: Scenario, parts: SimulationParts, ids = { flowId: 'simulation', flowVersionId: 'draft' }): Promise<SimulationResult> {
  const clock = new ManualClock(scenario.start_at === undefined ? Date.now() : Date.parse(scenario.start_at));
  const startedAt = clock.now().getTime();
  const phones = new Map(Object.entries(scenario.phones));
  const calls = new MemoryCallRecords();
  const http = new ScriptedHttpClient(scenario.http);
  const callbacks: { skill: string; number: string }[] = [];
  const cases = new MemoryCases(clock, parts.caseStatus);
  const country = parts.country ?? DEFAULT_COUNTRY;
  const services: FlowServices = {
    clock,
    telephony: new ScriptedCallControl((_accountId, number) => Promise.resolve(phones.get(number) ?? DEFAULT_SCRIPT), clock),
    tts: { languages: parts.tts.languages, resolve: (tag) => parts.tts.resolve(tag), synthesize: () => Promise.resolve(Buffer.alloc(0)) },
    calls,
    callbacks: {
      // The callbacks domain's own checks, in its order: the skill, then the number.
      async request(_accountId, skill, number) {
        if (parts.skillExists && !(await parts.skillExists(skill))) throw unknownSkill(skill);
        const dialable = toAssignedE164(number, country);
        if (dialable === null) throw undialable();
        callbacks.push({ skill, number: dialable });
      },
    },
    cases,
    random: seededRandom(scenario.seed),
    http,
    // Requests are answered by the script, so a connection's token is never really used.
    secrets: {
      async read(_accountId, ref) {
        await parts.readSecret?.(ref);
        return 'simulated-token';
      },
    },
    countryOf: () => Promise.resolve(country),
    virtualTime: true,
    ownsNumber: (_accountId, number) => parts.ownsNumber?.(number) ?? Promise.resolve(true),
  };
  const interactionId = 'simulation';
  const progress = startState(definition, { interactionId, ...ids }, scenario.arguments, 'arguments.');
  const steps: Step[] = [];
  // A simulation given up on (its real-time budget spent) stops at its next step instead of running on unseen.
  let abandoned = false;
  const final = await onVirtualTime(
    clock,
    interpret({
      accountId: parts.accountId ?? SIMULATION_ACCOUNT, interactionId, ...ids, version: loadVersion(definition), progress, services, handlers: COMPONENT_HANDLERS,
      store: {
        advance: (step) => {
          if (abandoned) return Promise.resolve(false);
          steps.push(step);
          return Promise.resolve(true);
        },
        fail: () => Promise.resolve(),
        reserveLeg: () => Promise.resolve(),
      },
    }),
  ).catch((error: unknown) => {
    abandoned = true;
    throw error;
  });
  const status = final.status === 'completed' ? 'completed' : 'failed';
  return {
    status,
    reason: final.reason,
    steps,
    variables: final.variables,
    virtual_duration_s: (clock.now().getTime() - startedAt) / 1000,
    calls: calls.all(),
    requests: http.sent.map((r) => ({ method: r.method, url: r.url })),
    callbacks,
    cases: { created: cases.created, updated: cases.updated },
    ...(scenario.expect ? { expectations: checkExpectations(scenario.expect, status, steps) } : {}),
  };
}
