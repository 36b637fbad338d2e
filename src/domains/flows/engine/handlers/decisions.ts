import type { Decision } from '../../runtime/decision.js';
import { evaluateCalendarRules } from '../../runtime/evaluate-calendar-rules.js';
import { evaluateConditionalStatement } from '../../runtime/evaluate-conditional-statement.js';
import { evaluateTimeRules } from '../../runtime/evaluate-time-rules.js';
import { evaluateTrafficSplitter } from '../../runtime/evaluate-traffic-splitter.js';
import { next } from '../outcome.js';
import type { ComponentHandler } from '../step-context.js';

const leave = (decision: Decision) => Promise.resolve(next(decision.exit, decision.detail));

export const timeRules: ComponentHandler<'time_rules'> = (config, context) =>
  leave(evaluateTimeRules(config, context.variables, context.services.clock.now()));

export const calendarRules: ComponentHandler<'calendar_rules'> = (config, context) =>
  leave(evaluateCalendarRules(config, context.variables, context.services.clock.now()));

export const conditionalStatement: ComponentHandler<'conditional_statement'> = (config, context) =>
  leave(evaluateConditionalStatement(config, context.variables, context.services.clock.now()));

export const trafficSplitter: ComponentHandler<'traffic_splitter'> = (config, context) =>
  leave(evaluateTrafficSplitter(config, context.variables, context.services.clock.now(), { flowId: context.flowId, random: context.services.random }));
