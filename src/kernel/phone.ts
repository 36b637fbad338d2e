import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js';

const E164 = /^\+[1-9]\d{6,14}$/;

/** True for a number already written in E.164 (`+` then 7 to 15 digits). */
export const isE164 = (value: string): boolean => E164.test(value);

/** Digits with the punctuation people write numbers with; no letters, no extension. */
const WRITTEN_NUMBER = /^\+?[\d\s().-]+$/;

/**
 * Normalises a number to E.164. A number without `+` is read in `defaultCountry`.
 * Returns null when the result could not be dialled: wrong length for its country, or anything
 * beside the number (letters, an extension) that dialling it would silently drop.
 */
export function toE164(value: string, defaultCountry: string): string | null {
  const trimmed = value.trim();
  if (!WRITTEN_NUMBER.test(trimmed)) return null;
  const country = isCountryCode(defaultCountry) ? defaultCountry : undefined;
  const parsed = parsePhoneNumberFromString(trimmed, country);
  if (!parsed?.isPossible()) return null;
  return parsed.number;
}

/**
 * A callback number: `toE164`, and also in a range its country's numbering plan assigns (so
 * `+10000000000` or `+351000000000`, possible by length, are refused), as far as this build of
 * libphonenumber's metadata knows.
 */
export function toAssignedE164(value: string, defaultCountry: string): string | null {
  const number = toE164(value, defaultCountry);
  return number !== null && parsePhoneNumberFromString(number)?.isValid() === true ? number : null;
}

export const isCountryCode = (value: string): value is CountryCode => isSupportedCountry(value);

/**
 * A valid zone name spelt as IANA does (names match case-insensitively: `europe/lisbon` is
 * Europe/Lisbon). Only the case changes: a link such as US/Eastern stays as written.
 */
export function canonicalTimeZone(value: string): string {
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
