import type { ComponentSpec } from '../component-spec.js';
import { calendarRules } from './calendar-rules.js';
import { conditionalStatement } from './conditional-statement.js';
import { createCase } from './create-case.js';
import { endFlow } from './end-flow.js';
import { executeAction } from './execute-action.js';
import { forwardToExternalNumber } from './forward-to-external-number.js';
import { inputIvr } from './input-ivr.js';
import { makeOutboundCall } from './make-outbound-call.js';
import { playAudio } from './play-audio.js';
import { requestDirectCallback } from './request-direct-callback.js';
import { runFunction } from './run-function.js';
import { salesforceDataDip } from './salesforce-data-dip.js';
import { standardIvr } from './standard-ivr.js';
import { timeRules } from './time-rules.js';
import { trafficSplitter } from './traffic-splitter.js';
import { updateCase } from './update-case.js';
import { voiceIvr } from './voice-ivr.js';
import { voiceTranscription } from './voice-transcription.js';

export const COMPONENT_TYPES = [
  'make_outbound_call',
  'play_audio',
  'forward_to_external_number',
  'input_ivr',
  'standard_ivr',
  'voice_ivr',
  'voice_transcription',
  'request_direct_callback',
  'time_rules',
  'calendar_rules',
  'conditional_statement',
  'traffic_splitter',
  'execute_action',
  'run_function',
  'salesforce_data_dip',
  'create_case',
  'update_case',
  'end_flow',
] as const;

export type ComponentType = (typeof COMPONENT_TYPES)[number];

/** One spec per component type; a type added to COMPONENT_TYPES fails to compile until it has one. */
export const COMPONENT_SPECS = {
  make_outbound_call: makeOutboundCall,
  play_audio: playAudio,
  forward_to_external_number: forwardToExternalNumber,
  input_ivr: inputIvr,
  standard_ivr: standardIvr,
  voice_ivr: voiceIvr,
  voice_transcription: voiceTranscription,
  request_direct_callback: requestDirectCallback,
  time_rules: timeRules,
  calendar_rules: calendarRules,
  conditional_statement: conditionalStatement,
  traffic_splitter: trafficSplitter,
  execute_action: executeAction,
  run_function: runFunction,
  salesforce_data_dip: salesforceDataDip,
  create_case: createCase,
  update_case: updateCase,
  end_flow: endFlow,
} satisfies Record<ComponentType, ComponentSpec>;

export const isComponentType = (value: string): value is ComponentType => (COMPONENT_TYPES as readonly string[]).includes(value);

export { CONDITION_OPERATORS } from './conditional-statement.js';
