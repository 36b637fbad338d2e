/** The file of a `sqlite:` URL (`sqlite:./data/switchboard.db`); undefined for `sqlite::memory:` and for any other URL. */
export function sqliteFileOf(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  const file = url.slice('sqlite:'.length);
  return file === ':memory:' ? undefined : file;
}
