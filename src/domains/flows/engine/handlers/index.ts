import { end } from '../outcome.js';
import type { ComponentHandlers } from '../step-context.js';
import { forwardToExternalNumber, makeOutboundCall, requestDirectCallback } from './calls.js';
import { createCase, updateCase } from './cases.js';
import { calendarRules, conditionalStatement, timeRules, trafficSplitter } from './decisions.js';
import { executeAction, runFunction, salesforceDataDip } from './integrations.js';
import { inputIvr, playAudio, standardIvr, voiceIvr, voiceTranscription } from './prompts.js';

/** What each of the eighteen component types does when the engine reaches it. */
export const COMPONENT_HANDLERS = {
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
  end_flow: () => Promise.resolve(end()),
} satisfies ComponentHandlers;
