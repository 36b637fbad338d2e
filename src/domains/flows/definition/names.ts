/** Variable, argument and exit names: what a `{{template}}` can name. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export const isVariableName = (value: string): boolean => VARIABLE_NAME.test(value);

/** Component ids stay path-safe: they appear in `components.<id>.config...` field names. */
export const COMPONENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
