import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import './zod-messages.js';

const messages = (schema: z.ZodType, value: unknown) => (schema.safeParse(value).error?.issues ?? []).map((issue) => `${issue.path.join('.')} ${issue.message}`);

describe('validation messages', () => {
  it("read as the API's field descriptions, after the field's name", () => {
    const schema = z.strictObject({
      title: z.string().min(1).max(3), count: z.number().int().min(1).max(5), kind: z.enum(['a', 'b']), tags: z.array(z.string()).max(1),
      at: z.iso.datetime({ offset: true }), email: z.email(), done: z.boolean(), name: z.string(),
    });
    expect(messages(schema, { title: '', count: 7.5, kind: 'c', tags: ['x', 'y'], at: 'yesterday', email: 'nope', done: 'yes' })).toEqual([
      'title must have at least 1 character',
      'count must be a whole number',
      'kind must be one of "a", "b"',
      'tags must have at most 1 item',
      'at must be an ISO 8601 date and time with its offset, such as 2026-11-23T09:00:00Z',
      'email must be an email address',
      'done must be true or false',
      'name is required',
    ]);
    expect(messages(schema.shape.count, 0)).toEqual([' must be at least 1']);
  });

  it('keeps the message a schema sets itself', () => {
    expect(messages(z.string().min(2, 'is too short to be a name'), 'a')).toEqual([' is too short to be a name']);
  });
});
