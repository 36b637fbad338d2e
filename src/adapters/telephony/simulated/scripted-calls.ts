import type { Clock } from '../../../kernel/clock.js';
import { isE164 } from '../../../kernel/phone.js';
import type { Announcement, CallControl, CallEvent, DigitLimits, LegOutcome } from '../../../ports/telephony.js';
import { DEFAULT_TALK_S, type PhoneScript } from './phone-script.js';

/** Roughly how long text takes to speak, so a message holds the call for a realistic time. */
const WORDS_PER_SECOND = 2.5;

export const speakingSeconds = (text: string): number => Math.max(1, Math.ceil(text.split(/\s+/).length / WORDS_PER_SECOND));

/** How each external number behaves, by account. */
export type PhoneScripts = (accountId: string, number: string) => Promise<PhoneScript>;

/**
 * Calls the platform places on scripted phones, carried out on `clock`: ringing, answering,
 * keys, speech and talk time all as the phone's script says. The simulated network uses it with
 * the account's stored scripts; the flow simulator with a scenario's, on a virtual clock.
 */
export class ScriptedCallControl implements CallControl {
  constructor(
    protected readonly scripts: PhoneScripts,
    protected readonly clock: Clock,
  ) {}

  /**
   * Dials an external number and reports the leg's single outcome after the scripted delay.
   * Answered only within the ring timeout; `reject` counts as busy (DESIGN.md telephony model).
   */
  async dial(accountId: string, to: string, ringTimeoutS: number, onEvent: (event: CallEvent) => void): Promise<LegOutcome> {
    if (!isE164(to)) return 'invalid_number';
    const script = await this.scripts(accountId, to);
    const immediate = { invalid: 'invalid_number', busy: 'busy', reject: 'busy' } as const;
    if (script.behavior === 'invalid' || script.behavior === 'busy' || script.behavior === 'reject') return immediate[script.behavior];
    onEvent({ type: 'ringing', at: this.now(), leg: to });
    const answers = script.behavior === 'answer' && script.answer_after_s < ringTimeoutS;
    const afterS = answers ? script.answer_after_s : ringTimeoutS;
    return new Promise((resolve) => this.clock.setTimer(afterS * 1000, () => resolve(answers ? 'answered' : 'no_answer')));
  }

  /** Holds the leg for as long as the text takes to speak. */
  async play(_accountId: string, _to: string, announcement: Announcement): Promise<void> {
    await this.wait(speakingSeconds(announcement.text));
  }

  /**
   * The scripted phone presses its next `dtmf` key (after the `keysUsed` earlier prompts took)
   * once the prompt has been spoken; no key left, none pressed.
   */
  async promptDigit(accountId: string, to: string, announcement: Announcement, timeoutS: number, keysUsed = 0): Promise<string | null> {
    const script = await this.scripts(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    const key = script.dtmf?.charAt(keysUsed) ?? '';
    if (key !== '') return key;
    await this.wait(timeoutS);
    return null;
  }

  /**
   * The scripted phone types its next `dtmf` keys (up to the terminator or `maxDigits`) once the
   * prompt has been spoken; no keys left, none typed.
   */
  async collectDigits(accountId: string, to: string, announcement: Announcement, limits: DigitLimits, keysUsed = 0): Promise<{ digits: string; pressed: number }> {
    const script = await this.scripts(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    const typed = (script.dtmf ?? '').slice(keysUsed);
    const end = limits.terminator === null ? -1 : typed.indexOf(limits.terminator);
    const digits = (end === -1 ? typed : typed.slice(0, end)).slice(0, limits.maxDigits);
    const terminated = end !== -1 && end <= limits.maxDigits;
    // Without a terminator (or with too few keys) the network waits for the next key until the timeout.
    if (!terminated && digits.length < limits.maxDigits) await this.wait(limits.timeoutS);
    return { digits, pressed: digits.length + (terminated ? 1 : 0) };
  }

  /** The scripted phone says its `speech` once the prompt has been spoken; no script, silence until the timeout. */
  async listen(accountId: string, to: string, announcement: Announcement, timeoutS: number, maxSpeechS?: number): Promise<string | null> {
    const script = await this.scripts(accountId, to);
    await this.wait(speakingSeconds(announcement.text));
    if (script.speech !== undefined && script.speech !== '') {
      if (maxSpeechS !== undefined && speakingSeconds(script.speech) > maxSpeechS) {
        // Cut off mid-sentence: what was said in the time allowed, at the network's speaking rate.
        await this.wait(maxSpeechS);
        return script.speech.split(/\s+/).slice(0, Math.max(1, Math.floor(maxSpeechS * WORDS_PER_SECOND))).join(' ');
      }
      await this.wait(speakingSeconds(script.speech));
      return script.speech;
    }
    await this.wait(timeoutS);
    return null;
  }

  /** The two parties talk until the customer's phone hangs up after its scripted `talk_s`. */
  async bridge(accountId: string, customer: string): Promise<void> {
    const script = await this.scripts(accountId, customer);
    await this.wait(script.talk_s ?? DEFAULT_TALK_S);
  }


  protected wait(seconds: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(seconds * 1000, resolve));
  }

  protected now(): string {
    return this.clock.now().toISOString();
  }
}
