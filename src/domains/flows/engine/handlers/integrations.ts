import { isBuiltIn, isVariableName } from '../../definition/index.js';
import { runExecuteAction } from '../../runtime/execute-action.js';
import { runSalesforceDataDip } from '../../runtime/salesforce.js';
import { runUserFunction } from '../../runtime/sandbox.js';
import { next } from '../outcome.js';
import type { ComponentHandler } from '../step-context.js';

export const executeAction: ComponentHandler<'execute_action'> = async (config, context) => {
  const { http, clock } = context.services;
  const result = await runExecuteAction(config, context.variables, { http, clock }, context.stepKey);
  return next(result.exit, { ...result.detail }, { variables: result.variables });
};

export const salesforceDataDip: ComponentHandler<'salesforce_data_dip'> = async (config, context) => {
  const { http, clock, secrets } = context.services;
  const result = await runSalesforceDataDip(config, context.variables, { http, clock, resolveToken: (ref) => secrets.read(context.accountId, ref) });
  return next(result.exit, { ...result.detail }, { variables: result.variables });
};

export const runFunction: ComponentHandler<'run_function'> = async (config, context) => {
  const { clock, random, virtualTime } = context.services;
  // In a simulation the function sees the scenario's clock and seed, as time_rules and the splitter do.
  const onVirtualTime = virtualTime ? { virtualTime: { nowMs: clock.now().getTime(), seed: Math.floor(random() * 2 ** 32) } } : {};
  const result = await runUserFunction(config.code, { ...context.variables }, { timeoutMs: config.timeout_ms, memoryMb: config.memory_mb }, { accountId: context.accountId, ...onVirtualTime });
  if (!result.ok) return next('error', { error: result.error, reason: result.reason, duration_ms: result.durationMs });
  const unnamed = Object.keys(result.result).filter((key) => !isVariableName(key));
  if (unnamed.length > 0) {
    const error = `the function returned ${unnamed.map((key) => JSON.stringify(key)).join(', ')}: a variable is named by a letter or "_", then letters, digits or "_" (64 at most)`;
    return next('error', { error, reason: 'invalid_variable_name', duration_ms: result.durationMs });
  }
  const builtIns = Object.keys(result.result).filter(isBuiltIn);
  if (builtIns.length > 0) {
    const error = `the function returned ${builtIns.join(', ')}: built-in variables are set by the platform only`;
    return next('error', { error, reason: 'read_only_variable', duration_ms: result.durationMs });
  }
  return next('success', { result: result.result, duration_ms: result.durationMs }, { variables: result.result });
};
