import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SecretStore } from '../../domains/flows/index.js';

/** A secret's name is a file name in the directory: no separators, no dot names. */
const SECRET_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,200}$/;

/**
 * Secrets as files, one directory per account (`<dir>/<account id>/<name>`, the file's content
 * without surrounding whitespace), the way Kubernetes and Docker mount them: a flow can only name
 * its own account's secrets. Read on every use, so a rotated token takes effect without a restart.
 */
export class DirectorySecrets implements SecretStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async read(accountId: string, ref: string): Promise<string> {
    if (!SECRET_NAME.test(ref)) throw new Error(`"${ref}" is not a secret name (letters, digits, ".", "_" and "-")`);
    if (!SECRET_NAME.test(accountId)) throw new Error('the account has no secrets directory');
    try {
      const value = (await readFile(join(this.dir, accountId, ref), 'utf8')).trim();
      if (value === '') throw new Error(`the secret "${ref}" is empty`);
      return value;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the account has no secret named "${ref}" (a file ${ref} in its directory of the secrets directory)`);
      throw error;
    }
  }
}
