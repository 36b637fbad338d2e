import { describe, expect, it } from 'vitest';
import { readJsonPath, toVariableValue } from './json-path-read.js';

const doc = { a: { b: 'ab', list: [{ id: 1 }, { id: 2 }] }, 'x-id': 'dash', "it's": 'quoted', arr: [10, 20], n: null };

describe('readJsonPath', () => {
  it('reads names, indexes and quoted keys', () => {
    expect(readJsonPath(doc, '$.a.b')).toBe('ab');
    expect(readJsonPath(doc, '$.a.list[1].id')).toBe(2);
    expect(readJsonPath(doc, "$['x-id']")).toBe('dash');
    expect(readJsonPath(doc, "$['it\\'s']")).toBe('quoted');
    expect(readJsonPath(doc, "$['a']['list'][0]")).toEqual({ id: 1 });
    expect(readJsonPath(doc, '$')).toBe(doc);
    expect(readJsonPath(doc, '$.n')).toBeNull();
  });

  it('is undefined for paths that do not resolve or are outside the subset', () => {
    expect(readJsonPath(doc, '$.a.missing')).toBeUndefined();
    expect(readJsonPath(doc, '$.arr[5]')).toBeUndefined();
    expect(readJsonPath(doc, '$.arr.length')).toBeUndefined();
    expect(readJsonPath(doc, '$.a[0]')).toBeUndefined();
    expect(readJsonPath(doc, '$.n.deeper')).toBeUndefined();
    expect(readJsonPath(doc, '$.a.toString')).toBeUndefined();
    expect(readJsonPath(doc, '$..b')).toBeUndefined();
    expect(readJsonPath(doc, 'a.b')).toBeUndefined();
  });
});

describe('toVariableValue', () => {
  it('turns JSON values into strings', () => {
    expect(toVariableValue('s')).toBe('s');
    expect(toVariableValue(3.5)).toBe('3.5');
    expect(toVariableValue(false)).toBe('false');
    expect(toVariableValue(null)).toBe('');
    expect(toVariableValue({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
  });
});
