import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../kernel/random.js';
import { COMPONENT_SPECS } from '../definition/index.js';
import { evaluateTrafficSplitter, stickyRoll, type TrafficSplitterConfig } from './evaluate-traffic-splitter.js';

const NOW = new Date('2026-11-23T09:00:00Z');
const FLOW = 'flow_01';
const RUNS = 10_000;

const splitter = (branches: { exit: string; percent: number }[], sticky_by?: string): TrafficSplitterConfig =>
  COMPONENT_SPECS.traffic_splitter.config.parse({ branches, ...(sticky_by === undefined ? {} : { sticky_by }) });

const neverRandom = () => {
  throw new Error('a sticky split must not roll at random');
};

function shares(exits: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const exit of exits) counts[exit] = (counts[exit] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([exit, count]) => [exit, (100 * count) / exits.length]));
}

const config = splitter([
  { exit: 'a', percent: 50 },
  { exit: 'b', percent: 30 },
  { exit: 'c', percent: 15 },
  { exit: 'd', percent: 5 },
]);

function expectWithinTwoPoints(observed: Record<string, number>) {
  for (const { exit, percent } of config.branches) expect(Math.abs((observed[exit] ?? 0) - percent)).toBeLessThanOrEqual(2);
}

describe('traffic_splitter', () => {
  it('matches its percentages within 2 points over 10,000 random runs', () => {
    for (const seed of [1, 42, 20261123]) {
      const random = seededRandom(seed);
      const exits = Array.from({ length: RUNS }, () => evaluateTrafficSplitter(config, {}, NOW, { flowId: FLOW, random }).exit);
      expectWithinTwoPoints(shares(exits));
    }
  });

  it('matches its percentages within 2 points over 10,000 distinct sticky values', () => {
    const sticky = { ...config, sticky_by: 'customer_id' };
    const exits = Array.from(
      { length: RUNS },
      (_, i) => evaluateTrafficSplitter(sticky, { customer_id: `customer-${i}` }, NOW, { flowId: FLOW, random: neverRandom }).exit,
    );
    expectWithinTwoPoints(shares(exits));
  });

  it('sends the same sticky value down the same branch every time', () => {
    const sticky = { ...config, sticky_by: 'customer_id' };
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const value = `+3519${String(i).padStart(8, '0')}`;
      const first = evaluateTrafficSplitter(sticky, { customer_id: value }, NOW, { flowId: FLOW, random });
      expect(first.detail).toMatchObject({ sticky: true, sticky_by: 'customer_id', branch: first.exit });
      for (let again = 0; again < 5; again++) {
        const later = new Date(NOW.getTime() + again * 86_400_000);
        expect(evaluateTrafficSplitter(sticky, { customer_id: value, other: String(again) }, later, { flowId: FLOW, random }).exit).toBe(first.exit);
      }
    }
  });

  it('salts the sticky hash with the flow id, so flows split the same values independently', () => {
    const values = Array.from({ length: 1000 }, (_, i) => `customer-${i}`);
    const differing = values.filter((v) => Math.abs(stickyRoll('flow_a', v) - stickyRoll('flow_b', v)) > 1e-9).length;
    expect(differing).toBe(values.length);
    const sticky = splitter([{ exit: 'a', percent: 50 }, { exit: 'b', percent: 50 }], 'customer_id');
    const moved = values.filter(
      (v) =>
        evaluateTrafficSplitter(sticky, { customer_id: v }, NOW, { flowId: 'flow_a' }).exit !==
        evaluateTrafficSplitter(sticky, { customer_id: v }, NOW, { flowId: 'flow_b' }).exit,
    ).length;
    expect(moved).toBeGreaterThan(400); // about half, as for two independent fair coins
    expect(moved).toBeLessThan(600);
  });

  it('keeps sticky rolls in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const roll = stickyRoll(FLOW, String(i));
      expect(roll).toBeGreaterThanOrEqual(0);
      expect(roll).toBeLessThan(1);
    }
  });

  it('rolls at random when the sticky variable is empty or unset', () => {
    const sticky = splitter([{ exit: 'a', percent: 50 }, { exit: 'b', percent: 50 }], 'customer_id');
    expect(evaluateTrafficSplitter(sticky, { customer_id: '' }, NOW, { flowId: FLOW, random: () => 0.1 })).toEqual({
      exit: 'a',
      detail: { branch: 'a', sticky: false, sticky_by: 'customer_id', roll: 0.1 },
    });
    expect(evaluateTrafficSplitter(sticky, {}, NOW, { flowId: FLOW, random: () => 0.9 }).exit).toBe('b');
  });

  it('lays the branches end to end in listed order: a roll on a boundary goes to the later branch', () => {
    const at = (roll: number) => evaluateTrafficSplitter(config, {}, NOW, { flowId: FLOW, random: () => roll });
    expect(at(0)).toEqual({ exit: 'a', detail: { branch: 'a', sticky: false, roll: 0 } });
    expect(at(0.4999).exit).toBe('a');
    expect(at(0.5).exit).toBe('b');
    expect(at(0.8).exit).toBe('c');
    expect(at(0.95).exit).toBe('d');
    expect(at(0.9999999999).exit).toBe('d');
  });

  it('never picks a 0% branch, and always picks a 100% one', () => {
    const lopsided = splitter([{ exit: 'off', percent: 0 }, { exit: 'on', percent: 100 }, { exit: 'also_off', percent: 0 }]);
    for (const roll of [0, 0.5, 0.9999999999]) {
      expect(evaluateTrafficSplitter(lopsided, {}, NOW, { flowId: FLOW, random: () => roll }).exit).toBe('on');
    }
  });

  it('gives the top of the range to the last non-empty branch when decimal percentages sum just under 100 in binary', () => {
    // 33.4 + 33.3 + 33.3 is 99.99999999999999 in binary, as is the largest roll times 100.
    const thirds = splitter([{ exit: 'x', percent: 33.4 }, { exit: 'y', percent: 33.3 }, { exit: 'z', percent: 33.3 }, { exit: 'none', percent: 0 }]);
    expect(evaluateTrafficSplitter(thirds, {}, NOW, { flowId: FLOW, random: () => 1 - 2 ** -53 }).exit).toBe('z');
  });
});
