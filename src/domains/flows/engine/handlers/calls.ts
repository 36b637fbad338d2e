import { DomainError } from '../../../../kernel/errors.js';
import { isE164, toE164 } from '../../../../kernel/phone.js';
import { LoggedCall } from '../../../continuity/index.js';
import { end, fail, next } from '../outcome.js';
import type { ComponentHandler, StepContext } from '../step-context.js';

/**
 * The number a template rendered, as it is dialled: one written without `+` is read in the
 * account's country (API.md: `default_country` normalises such numbers), as callbacks do; one
 * that does not read as a number is dialled as written, and the network answers invalid_number.
 */
async function dialable(context: StepContext, rendered: string): Promise<string> {
  const written = rendered.trim();
  const { countryOf } = context.services;
  if (isE164(written) || !countryOf) return written;
  return toE164(written, await countryOf(context.accountId)) ?? written;
}

/** A new leg the flow places, in the call log from its first ring. */
function placeLeg(context: StepContext, from: string, to: string): LoggedCall {
  const { calls, clock } = context.services;
  return new LoggedCall(calls, clock, context.accountId, { id: context.legId, kind: 'flow_call', direction: 'outbound', from, to });
}

/** Dials `to` on `leg` and logs how the leg ended unless it was answered. */
async function ring(context: StepContext, leg: LoggedCall, to: string, ringTimeoutS: number) {
  const logged = leg.save();
  const outcome = await context.services.telephony.dial(context.accountId, to, ringTimeoutS, (event) => void leg.add(event).save());
  await logged;
  if (outcome === 'answered') await leg.add({ type: 'answered', leg: to }).save();
  else if (outcome === 'failed') await leg.add({ type: 'failed', leg: to, reason: 'network failure' }).end('failed').save();
  else await leg.add({ type: outcome, leg: to }).end(outcome).save();
  return outcome;
}

export const makeOutboundCall: ComponentHandler<'make_outbound_call'> = async (config, context) => {
  const { ownsNumber } = context.services;
  if (ownsNumber && !(await ownsNumber(context.accountId, config.from))) {
    return fail(`the touchpoint number ${config.from} is no longer one of the account's numbers`, { from: config.from });
  }
  const to = await dialable(context, context.render(config.to));
  const leg = placeLeg(context, config.from, to);
  const outcome = await ring(context, leg, to, config.ring_timeout_s);
  const detail = { from: config.from, to, ring_timeout_s: config.ring_timeout_s, outcome, call_id: leg.id };
  if (outcome === 'failed') return fail(`the network could not place the call to ${to}`, detail);
  const variables = { contact_number: to, touchpoint_number: config.from };
  if (outcome !== 'answered') return next(outcome, detail, { variables });
  return next('answered', detail, { variables, call: { call_id: leg.id, contact_number: to, touchpoint_number: config.from } });
};

/**
 * Connects the contact to an external number. Once connected, the flow's part is over (API.md: "a
 * connected forward ends the flow"): the interaction completes at once, and the two parties talk
 * on without it, the forward's leg logged as ended when the network reports the hang-up.
 */
export const forwardToExternalNumber: ComponentHandler<'forward_to_external_number'> = async (config, context) => {
  const call = context.call;
  if (!call) return fail('no call to forward');
  const number = await dialable(context, context.render(config.number));
  const callerId = config.caller_id === 'contact' ? call.contact_number : call.touchpoint_number;
  await context.logOnCall({ type: 'forwarded', to: number });
  const leg = placeLeg(context, callerId, number);
  const outcome = await ring(context, leg, number, config.ring_timeout_s);
  const detail = { number, caller_id: callerId, ring_timeout_s: config.ring_timeout_s, outcome, call_id: leg.id };
  switch (outcome) {
    case 'answered':
      await Promise.all([leg.add({ type: 'bridged', to: call.contact_number }).save(), context.logOnCall({ type: 'bridged', to: number })]);
      void context.services.telephony
        .bridge(context.accountId, call.contact_number, number)
        .then(() => leg.add({ type: 'hangup', by: 'callee' }).end('completed').save())
        // Nothing waits for this entry: a write that fails leaves the leg open in the call log, as a restart mid-call would.
        .catch(() => undefined);
      return end({ ...detail, connected: true }, 'connected');
    case 'busy':
      return next(context.wired.has('busy') ? 'busy' : 'no_answer', detail);
    case 'no_answer':
    case 'invalid_number':
      return next(outcome, detail);
    case 'failed':
      return fail(`the network could not place the forward to ${number}`, detail);
  }
};

/** Queues a callback for the contact on a skill, through the callbacks domain. */
export const requestDirectCallback: ComponentHandler<'request_direct_callback'> = async (config, context) => {
  // The callbacks domain reads a number without `+` in the account's country itself.
  const number = context.render(config.number).trim();
  try {
    await context.services.callbacks.request(context.accountId, config.skill, number);
    return next('next', { skill: config.skill, number });
  } catch (error) {
    if (error instanceof DomainError) return next('error', { skill: config.skill, number, error: error.message, code: error.code });
    throw error;
  }
};
