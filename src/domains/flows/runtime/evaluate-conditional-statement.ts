import type { ComponentConfig } from '../definition/index.js';
import { variableValue, type Decision, type VariableValues } from './decision.js';
import { renderTemplate } from './render-template.js';

export type ConditionalStatementConfig = ComponentConfig<'conditional_statement'>;

type Comparison = ConditionalStatementConfig['conditions'][number]['all'][number];

/** Plain decimal notation only: no blanks, hex, `Infinity` or empty string, which `Number()` would all accept. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function asNumber(text: string): number | null {
  if (!DECIMAL.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** A string value may be a `{{variable}}` template (validation checked its names); an unset variable reads as "". */
function expectedText(value: Comparison['value'], variables: VariableValues): string {
  return typeof value === 'string' ? renderTemplate(value, variables) : String(value);
}

/**
 * Negative, zero or positive as `actual` sorts before, with or after `expected`: numerically when
 * both are decimal numbers ("9" < "10"), by UTF-16 code units when neither is ("apple" <
 * "banana", "B" < "a": the same order on every machine whatever its locale), and NaN (every
 * comparison false) between a number and a value that is not one, so `balance gte 1000` does not
 * hold for "N/A" or an unset balance.
 */
function order(actual: string, expected: string): number {
  const left = asNumber(actual);
  const right = asNumber(expected);
  if (left !== null && right !== null) return left - right;
  if (left !== null || right !== null) return Number.NaN;
  if (actual === expected) return 0;
  return actual < expected ? -1 : 1;
}

/**
 * `eq`/`ne` compare numerically only when the configured value is a JSON number (`5` equals "5.0");
 * a configured string must match exactly, so digit codes such as "0012" and "12" stay different.
 * A boolean compares as "true"/"false". `exists` holds when the variable has a non-empty value.
 * `contains` and `starts_with` are case-sensitive.
 */
function holds(comparison: Comparison, actual: string, expected: string): boolean {
  switch (comparison.op) {
    case 'exists':
      return actual !== '';
    case 'eq':
    case 'ne': {
      const equal = typeof comparison.value === 'number' ? asNumber(actual) === comparison.value : actual === expected;
      return comparison.op === 'eq' ? equal : !equal;
    }
    case 'gt':
      return order(actual, expected) > 0;
    case 'gte':
      return order(actual, expected) >= 0;
    case 'lt':
      return order(actual, expected) < 0;
    case 'lte':
      return order(actual, expected) <= 0;
    case 'contains':
      return actual.includes(expected);
    case 'starts_with':
      return actual.startsWith(expected);
  }
}

/** Leaves by the exit of the first condition whose comparisons all hold, else by `default`. */
export function evaluateConditionalStatement(config: ConditionalStatementConfig, variables: VariableValues, _now: Date): Decision {
  for (const [index, condition] of config.conditions.entries()) {
    const checked = condition.all.map((comparison) => {
      const actual = variableValue(variables, comparison.variable);
      const expected = comparison.op === 'exists' ? null : expectedText(comparison.value, variables);
      return { comparison, actual, expected, result: holds(comparison, actual, expected ?? '') };
    });
    if (checked.every((c) => c.result)) {
      const comparisons = checked.map(({ comparison, actual, expected }) => ({ variable: comparison.variable, op: comparison.op, value: expected, actual }));
      return { exit: condition.exit, detail: { condition: index, comparisons } };
    }
  }
  return { exit: 'default', detail: { condition: null } };
}
