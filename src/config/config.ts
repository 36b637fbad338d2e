import { z } from 'zod';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { makeDirectories } from '../kernel/directories.js';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

/** A whole number written in digits only: `0x10D3`, `1e3` or a blank would slip through `Number()`. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,12}$/, 'must be a whole number written in digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** An IPv4 or IPv6 address, or a CIDR whose prefix fits its family (`10.0.0.0/8`, `::1/128`). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** The one schema over the environment. Nothing else in the codebase reads process.env. */
export const configSchema = z.object({
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .default('sqlite:./data/switchboard.db')
    .refine((v) => v.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(v), {
      message: 'must start with sqlite: or postgres://',
    }),
  SWITCHBOARD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Only the simulated network ships today; the SIP edge adds its own value when it lands.
  SWITCHBOARD_TELEPHONY: z.enum(['simulated']).default('simulated'),
  SWITCHBOARD_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Channel provider credentials are encrypted under a key derived from this (default: the signing secret).
  SWITCHBOARD_CREDENTIALS_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  SWITCHBOARD_DATA_DIR: z.string().min(1).default('./data'),
  // Secrets flows refer to by name (a Salesforce connection's token_ref): one file per name, as a
  // container platform mounts them. Defaults to SWITCHBOARD_DATA_DIR/secrets.
  SWITCHBOARD_SECRETS_DIR: z.string().min(1).optional(),
  SWITCHBOARD_TOKEN_TTL_S: wholeNumber(60, 86_400).default(3600),
  SWITCHBOARD_CALL_LOG_BUFFER: wholeNumber(0, 10_000_000).default(100_000),
  SWITCHBOARD_WORKER: booleanFlag.default(true),
  // Jobs mostly wait (a callback's dial job lasts as long as its call), so a node runs many at once.
  SWITCHBOARD_WORKER_CONCURRENCY: wholeNumber(1, 10_000).default(20),
  SWITCHBOARD_MESSAGE_SEND_CONCURRENCY: wholeNumber(1, 10_000).default(20),
  // A node renews its claims on running jobs every third of this; a dead node's jobs are taken over once it runs out.
  SWITCHBOARD_JOB_LEASE_S: wholeNumber(1, 3600).default(30),
  // On SIGTERM, requests still in flight after this many seconds (a client uploading slowly) are cut off.
  SWITCHBOARD_SHUTDOWN_GRACE_S: wholeNumber(0, 3600).default(15),
  SWITCHBOARD_BODY_LIMIT_BYTES: wholeNumber(1024, 2 ** 40).default(16 * 1024 * 1024),
  // Behind a reverse proxy: whose X-Forwarded-Proto/-Host/-For to believe (true, a hop count, or addresses and CIDRs).
  SWITCHBOARD_TRUST_PROXY: z
    .string()
    .default('false')
    .refine((v) => /^(true|false|\d+)$/.test(v) || v.split(',').every((part) => isAddressOrCidr(part.trim())), {
      message: 'must be true, false, a hop count, or comma-separated addresses or CIDRs',
    })
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' || v === '0' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  // Internal addresses (loopback, private, link-local...) that tenant-directed requests may reach: CIDRs or addresses, or * for all.
  SWITCHBOARD_EGRESS_ALLOW: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((part) => part.trim()).filter((part) => part !== ''))
    .refine((entries) => entries.every((entry) => entry === '*' || isAddressOrCidr(entry)), {
      message: 'must be comma-separated addresses or CIDRs, or *',
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof configSchema>;

export interface Config extends Env {
  signingSecret: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment, reporting every problem at once. */
export function parseEnv(env: Record<string, string | undefined>): Env {
  // An empty variable (`SWITCHBOARD_ADMIN_TOKEN=`) means "not set", as shells and .env files use it.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return result.data;
}

/** Loads the config; a missing signing secret is generated once and kept in the data directory. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = parseEnv(env);
  return { ...parsed, signingSecret: parsed.SWITCHBOARD_SIGNING_SECRET ?? ensureSigningSecret(parsed.SWITCHBOARD_DATA_DIR) };
}

/** The shortest signing secret taken, from the environment or the data directory's file alike. */
const MIN_SIGNING_SECRET = 32;

function ensureSigningSecret(dataDir: string): string {
  const file = join(resolve(dataDir), 'signing-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    // An emptied or truncated file would sign tokens (and derive the credentials key) with a weak key, or none.
    if (kept.length < MIN_SIGNING_SECRET) throw new ConfigError([`${file}: the kept signing secret is ${kept.length} characters; it must be at least ${MIN_SIGNING_SECRET} (restore it; or delete the file to have a new one made, after which tokens already issued stop working and, without SWITCHBOARD_CREDENTIALS_KEY, stored channel credentials cannot be opened)`]);
    return kept;
  }
  makeDirectories(dirname(file));
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process created it between our check and our write: theirs wins.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}
