import { createHash } from 'node:crypto';
import type { ComponentConfig } from '../definition/index.js';
import { variableValue, type Decision, type VariableValues } from './decision.js';

export type TrafficSplitterConfig = ComponentConfig<'traffic_splitter'>;

export interface TrafficSplitterContext {
  /** Salts the sticky hash, so one value lands on unrelated branches in different flows. */
  flowId: string;
  /** Uniform in [0, 1); `Math.random` unless a test or the simulator injects a seeded one. */
  random?: () => number;
}

/**
 * A value's fixed point in [0, 1): the first 48 bits of SHA-256 over the salted value. SHA-256 output
 * is uniform, so distinct values spread over the branches by their percentages.
 */
export function stickyRoll(flowId: string, value: string): number {
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  const digest = createHash('sha256').update(flowId).update('\u0000').update(value).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The branch whose slice of [0, 100) holds `roll * 100`, the slices laid end to end in listed order. */
function branchAt(branches: TrafficSplitterConfig['branches'], roll: number): string {
  const point = roll * 100;
  let upTo = 0;
  for (const branch of branches) {
    upTo += branch.percent;
    if (point < upTo) return branch.exit;
  }
  // Only reachable when the percentages sum a hair under 100 in binary: the last non-empty slice owns the rest.
  const last = branches.findLast((b) => b.percent > 0) ?? branches[branches.length - 1];
  return last?.exit ?? '';
}

/**
 * Picks a branch by percentage. With `sticky_by`, the roll is the hash of that variable's value, so a
 * value always gets the same branch in this flow; a run whose sticky variable is empty or unset has
 * nothing to stick to and rolls at random (the detail says `sticky: false`), rather than sending
 * every such run down one branch.
 */
export function evaluateTrafficSplitter(
  config: TrafficSplitterConfig,
  variables: VariableValues,
  _now: Date,
  context: TrafficSplitterContext,
): Decision {
  const stickyValue = config.sticky_by === undefined ? '' : variableValue(variables, config.sticky_by);
  const sticky = stickyValue !== '';
  const roll = sticky ? stickyRoll(context.flowId, stickyValue) : (context.random ?? Math.random)();
  const exit = branchAt(config.branches, roll);
  return { exit, detail: { branch: exit, sticky, ...(config.sticky_by === undefined ? {} : { sticky_by: config.sticky_by }), roll } };
}
