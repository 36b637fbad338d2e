import type { Clock } from '../../../kernel/clock.js';
import type { CallControl, CallEvent } from '../../../ports/telephony.js';
import type { HttpClient } from '../../../ports/http-client.js';
import type { TextToSpeech } from '../../../ports/tts.js';
import type { CallRecords } from '../../continuity/index.js';
import type { CreateCaseInput, NoteVisibility, UpdateCaseInput } from '../../cases/index.js';
import type { ComponentConfig, ComponentType } from '../definition/index.js';
import type { ActiveCall } from './interaction.model.js';
import type { StepOutcome } from './outcome.js';

/** What flows use from the callbacks domain. */
export interface CallbackRequests {
  request(accountId: string, skillName: string, callbackNumber: string): Promise<void>;
}

/** What update_case changes: fields as `PATCH /cases/{id}` takes them, and a note to add. */
export type CaseChange = Pick<UpdateCaseInput, 'status' | 'priority' | 'assignee_id' | 'group_id' | 'resolution'> & {
  note?: { body: string; visibility: NoteVisibility };
};

/**
 * What flows use from the cases domain, acting as `actor` (`flow:<flow_id>`). A refusal rejects
 * with a DomainError (`validation_failed` with fields, `not_found`, `case_closed`,
 * `closing_is_automatic`, `conflict` for a case in the trash); any other error is the platform failing.
 */
export interface CaseRequests {
  /**
   * `once` names the step doing it (`StepContext.stepKey`): a step run again after its node died
   * gets the case it created the first time instead of a second one.
   */
  create(accountId: string, actor: string, fields: CreateCaseInput, once: string): Promise<{ id: string }>;
  /** Changes the case, then adds the note if there is one (once per `once`, as for `create`). */
  update(accountId: string, actor: string, caseId: string, change: CaseChange, once: string): Promise<void>;
}

/** The platform's parts a component may use; the simulator hands in its own network, clock and HTTP. */
export interface FlowServices {
  clock: Clock;
  telephony: CallControl;
  tts: TextToSpeech;
  calls: CallRecords;
  callbacks: CallbackRequests;
  /** What create_case and update_case write through. */
  cases: CaseRequests;
  /** Uniform in [0, 1): the traffic splitter's draw. */
  random: () => number;
  /** What execute_action and salesforce_data_dip send their requests through. */
  http: HttpClient;
  /** Where a Salesforce connection's `token_ref` is looked up. */
  secrets: SecretStore;
  /** The account's `default_country`, which numbers written without `+` are read in; without it they are dialled as written. */
  countryOf?: (accountId: string) => Promise<string>;
  /** Whether a number is still one of the account's: make_outbound_call's `from` must be (checked at publish, and again when dialling). */
  ownsNumber?: (accountId: string, number: string) => Promise<boolean>;
  /** The clock is virtual (a simulation): a run_function sees its time, and draws random numbers seeded from `random`. */
  virtualTime?: boolean;
}

/** Named secrets (access tokens) that flow definitions refer to without holding them. */
export interface SecretStore {
  /** The account's secret called `ref`; rejects when it has none (another account's never counts). */
  read(accountId: string, ref: string): Promise<string>;
}

/** Everything one component run sees. */
export interface StepContext {
  accountId: string;
  interactionId: string;
  flowId: string;
  flowVersionId: string;
  variables: Readonly<Record<string, string>>;
  /** The call the interaction holds, once a make_outbound_call was answered. */
  call: ActiveCall | null;
  /** The exits of this component that are wired to another one (optional exits may not be). */
  wired: ReadonlySet<string>;
  services: FlowServices;
  /** `text` with its `{{variable}}` placeholders filled in. */
  render(text: string): string;
  /** The call-log id a leg this component places takes: reserved before it ran (see `Progress.leg`). */
  legId: string;
  /** This step of this interaction, the same when the step runs again after a crash (its writes are done once by it). */
  stepKey: string;
  /** Appends events to the held call's entry in the call log (no-op without a call). */
  logOnCall(...events: DistributiveOmit<CallEvent, 'at'>[]): Promise<void>;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Runs one component of type T. Throwing means the platform failed (the job retries the step), not the flow. */
export type ComponentHandler<T extends ComponentType> = (config: ComponentConfig<T>, context: StepContext) => Promise<StepOutcome>;

/** One handler per component type: adding a type fails to compile until it has one. */
export type ComponentHandlers = { [T in ComponentType]: ComponentHandler<T> };
