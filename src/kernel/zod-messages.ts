import { z } from 'zod';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'an array', object: 'an object',
  bigint: 'a whole number', date: 'a date', null: 'null',
};

const plural = (count: number | bigint, one: string) => `${count} ${one}${Number(count) === 1 ? '' : 's'}`;

/** What a length or size bound reads as, for the kind of value it bounds. */
function bound(origin: string, limit: number | bigint, word: 'least' | 'most', inclusive: boolean | undefined): string | undefined {
  if (origin === 'string') return `must have at ${word} ${plural(limit, 'character')}`;
  if (origin === 'array' || origin === 'set') return `must have at ${word} ${plural(limit, 'item')}`;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    return inclusive === false ? `must be ${word === 'least' ? 'greater' : 'less'} than ${String(limit)}` : `must be at ${word} ${String(limit)}`;
  }
  return undefined;
}

const FORMATS: Record<string, string> = {
  datetime: 'must be an ISO 8601 date and time with its offset, such as 2026-11-23T09:00:00Z',
  date: 'must be a date written YYYY-MM-DD',
  email: 'must be an email address',
  url: 'must be a URL',
  uuid: 'must be a UUID',
};

/**
 * Validation messages as the API's `fields[].description` reads them, after the field's name
 * (`title must have at least 1 character`), instead of the schema library's own wording. Messages
 * a schema sets itself are kept; anything not covered here keeps the library's message.
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return TYPE_NAMES[issue.expected] ? `must be ${TYPE_NAMES[issue.expected]}` : undefined;
    case 'too_small':
      return bound(issue.origin, issue.minimum, 'least', issue.inclusive);
    case 'too_big':
      return bound(issue.origin, issue.maximum, 'most', issue.inclusive);
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return FORMATS[issue.format] ?? `must be a valid ${issue.format}`;
    case 'not_multiple_of':
    case 'unrecognized_keys':
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
      return undefined;
  }
}

z.config({ customError: describeIssue });
