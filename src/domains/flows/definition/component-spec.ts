import type { z } from 'zod';
import type { Path } from './json-path.js';

/** Voice components need a live call: they can only run after a `make_outbound_call` is answered. */
export type ComponentKind = 'voice' | 'non_voice';

export interface ExitRules {
  /** Exits that must be wired to a component (the `*` exits of the component table). */
  mandatory: readonly string[];
  /** Exits that may be left unwired. */
  optional: readonly string[];
}

/** A config string that may hold `{{variable}}` placeholders, at its path inside the config. */
export interface TemplateSite {
  path: Path;
  text: string;
}

/** A config field that names a flow variable directly (not through a template). */
export interface VariableReference {
  path: Path;
  variable: string;
}

/** A variable the component writes, and the exits it leaves by once the variable is set. */
export interface VariableOutput {
  variable: string;
  exits: readonly string[];
  /** Where the config names the variable, from `config`. */
  path: readonly (string | number)[];
}

/** A value in a component's config that must name something of the account (one of its numbers, one of its skills). */
export interface AccountReference {
  path: Path;
  value: string;
}

/**
 * Everything validation knows about one component type: its config schema (defaults included)
 * and its graph rules. Methods receive the parsed config, so they never see invalid input.
 */
export interface ComponentSpec<Schema extends z.ZodType = z.ZodType> {
  readonly kind: ComponentKind;
  readonly config: Schema;
  /** The exits the type has; null when they depend on a config that did not parse. */
  exits(config: z.output<Schema> | null): ExitRules | null;
  templates?(config: z.output<Schema>): TemplateSite[];
  references?(config: z.output<Schema>): VariableReference[];
  /** Present only on types that write variables, so a broken config of such a type is known to hide some. */
  outputs?(config: z.output<Schema>): VariableOutput[];
  accountNumbers?(config: z.output<Schema>): AccountReference[];
  /** Skills the config names, which must be the account's (names match exactly). */
  accountSkills?(config: z.output<Schema>): AccountReference[];
}

/** Keeps each spec's config type precise while the registry can treat them alike. */
export const defineComponent = <Schema extends z.ZodType>(spec: ComponentSpec<Schema>): ComponentSpec<Schema> => spec;

/** Exit rules that do not depend on the config. */
export const fixedExits =
  (mandatory: readonly string[], optional: readonly string[] = []) =>
  (): ExitRules => ({ mandatory, optional });

/** Exit rules computed from a parsed config; unknown while the config is invalid. */
export const exitsFrom =
  <Config>(rules: (config: Config) => ExitRules) =>
  (config: Config | null): ExitRules | null =>
    config === null ? null : rules(config);
