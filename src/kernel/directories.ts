import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates a directory and its missing parents, one at a time. Node 20's own recursive `mkdirSync`
 * never returns, spinning a core, for a path under a directory where nothing can be made
 * (`/proc/nope/x`); this fails there with the system's error instead.
 */
export function makeDirectories(directory: string): void {
  const path = resolve(directory);
  if (existsSync(path)) return;
  const parent = dirname(path);
  if (parent !== path) makeDirectories(parent);
  mkdirSync(path);
}
