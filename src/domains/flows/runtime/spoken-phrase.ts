/** Words of speech: runs of letters, marks and digits, with an apostrophe inside ("don't"). */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

const wordsOf = (text: string): string[] => text.toLowerCase().match(WORD) ?? [];

/**
 * Whether `speech` says `phrase`: its words in a row, each the start of a word said, case
 * ignored. So "bill" is heard in "billing please" and "two bills" (a word's endings are its
 * own), but not in "rebill", and "no" is not heard in "I know" nor "cancel" in "uncancelled".
 */
export function saysPhrase(speech: string, phrase: string): boolean {
  const wanted = wordsOf(phrase);
  if (wanted.length === 0) return false;
  const said = wordsOf(speech);
  for (let start = 0; start + wanted.length <= said.length; start += 1) {
    if (wanted.every((word, offset) => said[start + offset]?.startsWith(word) === true)) return true;
  }
  return false;
}
