import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { SCOPES, isScope, type Scope } from '../domains/accounts/index.js';

/** Wrong invocation: the command line, not the system, is at fault. Exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` explains the right usage, e.g. `clients create`. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Every leaf command also accepts `-h`/`--help`. */
const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

type Values<T extends ParseArgsOptionsConfig> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
} & { help?: boolean };

/** Strict flag parsing: unknown flags, missing values and stray positionals are usage errors. */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: string[], options: T, command: string): Values<T> {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, ...helpOption }, strict: true, allowPositionals: false });
    return values as Values<T>;
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(error.message, command);
    throw error;
  }
}

function isParseArgsError(error: unknown): error is Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

export function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${flag} is required`, command);
  return value;
}

/** `all`, or scopes separated by spaces and/or commas. */
export function parseScopes(value: string, command: string): Scope[] {
  const words = value.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 1 && words[0] === 'all') return [...SCOPES];
  if (words.length === 0) throw new UsageError('--scopes needs at least one scope (or "all")', command);
  const unknown = words.filter((w) => !isScope(w));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known scopes: ${SCOPES.join(' ')}, or "all")`, command);
  }
  return [...new Set(words as Scope[])];
}

/**
 * Validates flag values with the same schema the HTTP API uses, naming the flags (not the JSON
 * fields) in the message.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, flags: Record<string, string>, command: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    return `${flags[field] ?? field}: ${issue.message}`;
  });
  throw new UsageError(problems.join('; '), command);
}
