/** JSON columns are stored as text on both dialects; this reads them back. */
export function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
