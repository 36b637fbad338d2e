import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

const drain = <T>(queue: FairQueue<T>): T[] => {
  const out: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  return out;
};

describe('FairQueue', () => {
  it('serves owners in turn, each in its own order', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) queue.push('noisy', `n${i}`);
    queue.push('quiet', 'q1');
    queue.push('other', 'o1');
    queue.push('quiet', 'q2');
    expect(queue.size).toBe(7);
    expect(queue.peek()).toBe('n1');
    expect(drain(queue)).toEqual(['n1', 'q1', 'o1', 'n2', 'q2', 'n3', 'n4']);
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });

  it('puts an owner arriving later behind the owners already waiting, not behind their backlog', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 3; i++) queue.push('noisy', `n${i}`);
    expect(queue.shift()).toBe('n1');
    queue.push('late', 'l1');
    expect(drain(queue)).toEqual(['n2', 'l1', 'n3']);
  });

  it('is a plain first-in first-out queue for one owner', () => {
    const queue = new FairQueue<number>();
    for (let i = 0; i < 5; i++) queue.push('only', i);
    expect(drain(queue)).toEqual([0, 1, 2, 3, 4]);
  });
});
