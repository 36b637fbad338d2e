import { describe, expect, it } from 'vitest';
import { fromJsonPath, toJsonPath, type PathSegment } from '../../../src/domains/flows/definition/json-path.js';

describe('fromJsonPath', () => {
  it.each<{ path: PathSegment[] }>([
    { path: [] },
    { path: ['start'] },
    { path: ['components', 3, 'config', 'ring_timeout_s'] },
    { path: ['components', 5, 'config', 'options', '1'] },
    { path: ['variables', 'customer-name'] },
    { path: ['components', 0, 'config', 'output', "it's \\ odd"] },
    { path: ['trigger', 'arguments', 12, 'name'] },
  ])('reads back what toJsonPath wrote: $path', ({ path }) => {
    expect(fromJsonPath(toJsonPath(path))).toEqual(path);
  });

  it('answers null for text toJsonPath never writes', () => {
    for (const text of ['', 'components[0]', '$components', '$.components[x]', "$['unclosed", '$..a', '$.a.']) {
      expect(fromJsonPath(text), text).toBeNull();
    }
  });
});
