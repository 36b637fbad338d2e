import { describe, expect, it } from 'vitest';
import { COMPONENT_SPECS } from '../definition/index.js';
import { evaluateConditionalStatement, type ConditionalStatementConfig } from './evaluate-conditional-statement.js';

type Value = string | number | boolean;
type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'starts_with' | 'exists';

const NOW = new Date('2026-11-23T09:00:00Z');

const statement = (conditions: { exit: string; all: { variable: string; op: Op; value?: Value }[] }[]): ConditionalStatementConfig =>
  COMPONENT_SPECS.conditional_statement.config.parse({ conditions });

/** Whether one comparison holds for a variable `x` holding `actual` (undefined: not set at all). */
function holds(op: Op, actual: string | undefined, value?: Value): boolean {
  const config = statement([{ exit: 'yes', all: [{ variable: 'x', op, ...(value === undefined ? {} : { value }) }] }]);
  return evaluateConditionalStatement(config, actual === undefined ? {} : { x: actual }, NOW).exit === 'yes';
}

describe('conditional_statement operators', () => {
  it('eq and ne compare strings exactly', () => {
    expect(holds('eq', 'gold', 'gold')).toBe(true);
    expect(holds('eq', 'Gold', 'gold')).toBe(false);
    expect(holds('eq', '0012', '12')).toBe(false); // digit codes stay strings
    expect(holds('ne', 'gold', 'silver')).toBe(true);
    expect(holds('ne', 'gold', 'gold')).toBe(false);
  });

  it('eq and ne compare numerically when the configured value is a number', () => {
    expect(holds('eq', '5.0', 5)).toBe(true);
    expect(holds('eq', '5', 5)).toBe(true);
    expect(holds('eq', 'five', 5)).toBe(false);
    expect(holds('ne', '5.00', 5)).toBe(false);
    expect(holds('ne', '6', 5)).toBe(true);
  });

  it('eq compares a boolean as "true" or "false"', () => {
    expect(holds('eq', 'true', true)).toBe(true);
    expect(holds('eq', 'false', true)).toBe(false);
    expect(holds('ne', 'false', false)).toBe(false);
  });

  it('gt, gte, lt and lte compare numerically when both sides are numbers', () => {
    expect(holds('gt', '10', '9')).toBe(true); // "10" < "9" as text
    expect(holds('lt', '9', '10')).toBe(true);
    expect(holds('gt', '10', 9)).toBe(true);
    expect(holds('gte', '10.0', '10')).toBe(true);
    expect(holds('lte', '10.0', '10')).toBe(true);
    expect(holds('gt', '10.0', '10')).toBe(false);
    expect(holds('lt', '-2', '-1.5')).toBe(true);
    expect(holds('gt', '1e3', '999')).toBe(true);
    expect(holds('gte', '.5', '0.5')).toBe(true);
  });

  it('gt, gte, lt and lte compare text by code units when neither side is a number', () => {
    expect(holds('gt', 'banana', 'apple')).toBe(true);
    expect(holds('lt', 'apple', 'banana')).toBe(true);
    expect(holds('lt', 'B', 'a')).toBe(true); // upper case sorts first
    expect(holds('lt', '09:30', '10:00')).toBe(true);
    expect(holds('gt', '9x', '10x')).toBe(true); // "9" after "1" as text
    expect(holds('gte', 'same', 'same')).toBe(true);
    expect(holds('lte', 'same', 'same')).toBe(true);
    expect(holds('gt', 'same', 'same')).toBe(false);
    expect(holds('lt', 'same', 'same')).toBe(false);
  });

  it('never holds between a number and a value that is not one: "N/A" is neither above nor below 100', () => {
    for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
      expect(holds(op, 'unknown', 18), `unknown ${op} 18`).toBe(false);
      expect(holds(op, 'N/A', '100'), `N/A ${op} "100"`).toBe(false);
      expect(holds(op, '', '0'), `(unset) ${op} "0"`).toBe(false); // an empty value is not zero
      expect(holds(op, ' 9', '10'), `" 9" ${op} "10"`).toBe(false); // blanks make it text
      expect(holds(op, 'Infinity', '5'), `Infinity ${op} "5"`).toBe(false);
      expect(holds(op, '9', '10x'), `9 ${op} "10x"`).toBe(false);
    }
  });

  it('contains and starts_with are case-sensitive substring tests', () => {
    expect(holds('contains', 'my invoice is late', 'invoice')).toBe(true);
    expect(holds('contains', 'my Invoice is late', 'invoice')).toBe(false);
    expect(holds('starts_with', '+351912345678', '+351')).toBe(true);
    expect(holds('starts_with', '+14155550100', '+351')).toBe(false);
    expect(holds('contains', 'order 42', 42)).toBe(true);
  });

  it('exists holds for a set, non-empty variable', () => {
    expect(holds('exists', 'x')).toBe(true);
    expect(holds('exists', '')).toBe(false);
    expect(holds('exists', undefined)).toBe(false);
  });

  it('reads an unset variable as empty, even one named like an Object method', () => {
    expect(holds('eq', undefined, '')).toBe(true);
    expect(holds('ne', undefined, 'x')).toBe(true);
    const config = statement([{ exit: 'yes', all: [{ variable: 'toString', op: 'exists' }] }]);
    expect(evaluateConditionalStatement(config, {}, NOW).exit).toBe('default');
  });

  it('renders an unset variable in a templated value as empty', () => {
    const config = statement([{ exit: 'yes', all: [{ variable: 'x', op: 'eq', value: 'id-{{missing}}' }] }]);
    expect(evaluateConditionalStatement(config, { x: 'id-' }, NOW).exit).toBe('yes');
  });
});

describe('conditional_statement', () => {
  const config = statement([
    { exit: 'vip', all: [{ variable: 'tier', op: 'eq', value: 'gold' }, { variable: 'balance', op: 'gte', value: '{{vip_floor}}' }] },
    { exit: 'gold', all: [{ variable: 'tier', op: 'eq', value: 'gold' }] },
    { exit: 'known', all: [{ variable: 'customer_id', op: 'exists' }] },
  ]);

  it('takes the first condition whose comparisons all hold, rendering templated values', () => {
    const decision = evaluateConditionalStatement(config, { tier: 'gold', balance: '1500', vip_floor: '1000', customer_id: 'c1' }, NOW);
    expect(decision).toEqual({
      exit: 'vip',
      detail: {
        condition: 0,
        comparisons: [
          { variable: 'tier', op: 'eq', value: 'gold', actual: 'gold' },
          { variable: 'balance', op: 'gte', value: '1000', actual: '1500' },
        ],
      },
    });
  });

  it('skips a condition when one of its comparisons fails', () => {
    const decision = evaluateConditionalStatement(config, { tier: 'gold', balance: '999', vip_floor: '1000', customer_id: 'c1' }, NOW);
    expect(decision).toEqual({
      exit: 'gold',
      detail: { condition: 1, comparisons: [{ variable: 'tier', op: 'eq', value: 'gold', actual: 'gold' }] },
    });
    const known = evaluateConditionalStatement(config, { tier: 'silver', customer_id: 'c1' }, NOW);
    expect(known).toEqual({ exit: 'known', detail: { condition: 2, comparisons: [{ variable: 'customer_id', op: 'exists', value: null, actual: 'c1' }] } });
  });

  it('leaves by default when no condition holds', () => {
    expect(evaluateConditionalStatement(config, { tier: 'silver', customer_id: '' }, NOW)).toEqual({ exit: 'default', detail: { condition: null } });
  });
});
