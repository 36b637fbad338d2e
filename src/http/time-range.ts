import { filterBound } from '../kernel/clock.js';
import { DomainError } from '../kernel/errors.js';

/**
 * A list's time filter (`<name>_from`, `<name>_to`, written with any offset) in UTC; 400 naming
 * `<name>_to` when the range ends before it starts, rather than an empty page.
 */
export function timeRange<N extends string>(name: N, from: string | undefined, to: string | undefined): Record<`${N}_from` | `${N}_to`, string | undefined> {
  const start = from === undefined ? undefined : filterBound(from);
  const end = to === undefined ? undefined : filterBound(to);
  if (start !== undefined && end !== undefined && end < start) {
    throw new DomainError('validation_failed', `${name}_to must not be before ${name}_from`, [{ name: `${name}_to`, description: `must not be before ${name}_from` }]);
  }
  return { [`${name}_from`]: start, [`${name}_to`]: end } as Record<`${N}_from` | `${N}_to`, string | undefined>;
}
