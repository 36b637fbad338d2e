/** The flow's variables as the runtime holds them: every value is a string. */
export type VariableValues = Readonly<Record<string, string>>;

/**
 * What a decision component decides: the exit to leave by, and the detail an execution report
 * shows for the step (why that exit was taken).
 */
export interface Decision {
  exit: string;
  detail: Record<string, unknown>;
}

/** A variable's value, "" when it is unset; own keys only, so `constructor` or `toString` never leak in. */
export const variableValue = (variables: VariableValues, name: string): string =>
  Object.hasOwn(variables, name) ? (variables[name] ?? '') : '';
