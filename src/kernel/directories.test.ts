import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectories } from './directories.js';

describe('makeDirectories', () => {
  it('creates missing parents, and is a no-op for a directory that exists', () => {
    const root = mkdtempSync(join(tmpdir(), 'switchboard-dirs-'));
    makeDirectories(join(root, 'a', 'b', 'c'));
    expect(existsSync(join(root, 'a', 'b', 'c'))).toBe(true);
    makeDirectories(join(root, 'a', 'b', 'c'));
  });

  it('fails, instead of spinning, where nothing can be created', () => {
    expect(() => makeDirectories('/proc/no-such-dir/data')).toThrow(/ENOENT/);
  });
});
