import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../definition/index.js';
import { startState } from './start-state.js';

const ids = { interactionId: 'i', flowId: 'f', flowVersionId: 'v' };

describe('startState', () => {
  it("requires an argument even when its name is one of a JavaScript object's own (constructor, toString)", () => {
    const { definition } = validateDefinition({
      trigger: { type: 'api', arguments: [{ name: 'constructor', required: true }, { name: 'toString', required: true }] },
      start: 'end',
      components: [{ id: 'end', type: 'end_flow' }],
    });
    if (!definition) throw new Error('the definition should validate');
    expect(() => startState(definition, ids, {})).toThrow(expect.objectContaining({ fields: [{ name: 'constructor', description: 'is required' }, { name: 'toString', description: 'is required' }] }));
    expect(startState(definition, ids, { constructor: 'a', toString: 'b' }).variables).toMatchObject({ constructor: 'a', toString: 'b' });
  });
});
