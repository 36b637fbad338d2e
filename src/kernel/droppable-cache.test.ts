import { describe, expect, it } from 'vitest';
import { DroppableCache } from './droppable-cache.js';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('DroppableCache', () => {
  it('loads a key once and serves it until it is dropped', async () => {
    const cache = new DroppableCache<string, number>(10);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('a', load)).toBe(1);
    cache.drop('a');
    expect(await cache.get('a', load)).toBe(2);
  });

  it('shares a load in progress, and a drop during it makes the next read load again', async () => {
    const cache = new DroppableCache<string, string>(10);
    const first = deferred<string>();
    const a = cache.get('k', () => first.promise);
    const b = cache.get('k', () => Promise.resolve('second load'));
    cache.drop('k');
    const c = cache.get('k', () => Promise.resolve('after the drop'));
    first.resolve('before the drop');
    expect(await a).toBe('before the drop');
    expect(await b).toBe('before the drop');
    expect(await c).toBe('after the drop');
    expect(await cache.get('k', () => Promise.resolve('unused'))).toBe('after the drop');
  });

  it('does not keep a failed load', async () => {
    const cache = new DroppableCache<string, string>(10);
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve('up'))).toBe('up');
  });

  it('starts over past its capacity, and clear drops everything', async () => {
    const cache = new DroppableCache<number, number>(2);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    await cache.get(1, load);
    await cache.get(2, load);
    await cache.get(3, load);
    expect(await cache.get(1, load)).toBe(4);
    cache.clear();
    expect(await cache.get(1, load)).toBe(5);
  });
});
