import type { Step } from '../domains/flows/index.js';
import type { Expectation } from './scenario.js';

export interface ExpectationReport {
  met: boolean;
  /** One line per difference, saying what was expected and what happened. */
  mismatches: string[];
}

/** Compares a run with what its scenario expected: the final status, and the path (`id` or `id:exit` per step). */
export function checkExpectations(expectation: Expectation, status: string, steps: readonly Step[]): ExpectationReport {
  const mismatches: string[] = [];
  if (expectation.status !== undefined && expectation.status !== status) mismatches.push(`status: expected ${expectation.status}, got ${status}`);
  if (expectation.path !== undefined) {
    const expected = expectation.path;
    const length = Math.max(expected.length, steps.length);
    for (let i = 0; i < length; i += 1) {
      const want = expected[i];
      const step = steps[i];
      const got = step ? `${step.component}:${step.exit ?? '-'}` : '(nothing)';
      const same = want !== undefined && step !== undefined && (want.includes(':') ? want === got : want === step.component);
      if (!same) mismatches.push(`step ${i + 1}: expected ${want ?? '(nothing)'}, got ${got}`);
    }
  }
  return { met: mismatches.length === 0, mismatches };
}
