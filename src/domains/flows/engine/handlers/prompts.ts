import { saysPhrase } from '../../runtime/spoken-phrase.js';
import type { Announcement } from '../../../../ports/telephony.js';
import type { TextToSpeech } from '../../../../ports/tts.js';
import type { AudioSource } from '../../definition/fields.js';
import { fail, next, type StepDetail, type StepOutcome } from '../outcome.js';
import type { ActiveCall } from '../interaction.model.js';
import type { ComponentHandler, StepContext } from '../step-context.js';

/** Rendered prompts kept per (language, text): flows say the same sentences over and over. */
const RENDERED_CAP = 500;
const rendered = new Map<string, Promise<number>>();

/** Renders the text through the TTS port (once per language and text); resolves to the audio's size. */
function synthesize(tts: TextToSpeech, text: string, language: string): Promise<number> {
  const key = `${language}\u0000${text}`;
  let audio = rendered.get(key);
  if (!audio) {
    if (rendered.size >= RENDERED_CAP) rendered.delete(rendered.keys().next().value ?? '');
    audio = tts.synthesize(text, language).then((wav) => wav.length);
    audio.catch(() => rendered.delete(key));
    rendered.set(key, audio);
  }
  return audio;
}

interface Prompt {
  announcement: Announcement;
  detail: StepDetail;
}

/**
 * A prompt no retry can ever play: its language is a valid tag the TTS engine has no voice for.
 * It fails the interaction with that reason instead of failing the platform's job run after run.
 */
class UnspeakableLanguage extends Error {}

/** The source made ready to play: templates filled, TTS rendered, what was played recorded. */
async function prepare(source: AudioSource | undefined, context: StepContext): Promise<Prompt> {
  if (source?.tts) {
    const text = context.render(source.tts.text);
    const language = context.services.tts.resolve(source.tts.language);
    if (language === undefined) throw new UnspeakableLanguage(`the text-to-speech engine has no voice for the language ${source.tts.language}`);
    const audioBytes = await synthesize(context.services.tts, text, language);
    await context.logOnCall({ type: 'played', text, language });
    // A simulation renders nothing: no audio size to report.
    return { announcement: { text, language }, detail: { text, language, ...(audioBytes > 0 ? { audio_bytes: audioBytes } : {}) } };
  }
  if (source?.audio_url) {
    const url = context.render(source.audio_url);
    await context.logOnCall({ type: 'played', text: url, language: '' });
    return { announcement: { text: url, language: '' }, detail: { audio_url: url } };
  }
  return { announcement: { text: '', language: '' }, detail: {} };
}

/** A prompt said again for another attempt goes into the call log again, as the caller hears it again. */
function replay(prompt: Prompt, context: StepContext): Promise<void> {
  const { text, language } = prompt.announcement;
  return text === '' ? Promise.resolve() : context.logOnCall({ type: 'played', text, language });
}

/**
 * Keys the caller pressed answer the prompt that asked for them: the next prompt on the call, or
 * the same prompt asked again for another attempt, gets the keys after them.
 */
const keysUsed = (call: ActiveCall): number => call.keys_used ?? 0;
const pressed = (call: ActiveCall, keys: number): ActiveCall => (keys === 0 ? call : { ...call, keys_used: keysUsed(call) + keys });

/** Voice components need the call a make_outbound_call answered (validation makes sure one exists). */
async function withCall(context: StepContext, run: (call: ActiveCall) => Promise<StepOutcome>): Promise<StepOutcome> {
  if (!context.call) return fail('there is no call to play to');
  try {
    return await run(context.call);
  } catch (error) {
    if (error instanceof UnspeakableLanguage) return fail(error.message);
    throw error;
  }
}

export const playAudio: ComponentHandler<'play_audio'> = (config, context) =>
  withCall(context, async (call) => {
    const prompt = await prepare(config, context);
    await context.services.telephony.play(context.accountId, call.contact_number, prompt.announcement);
    return next('next', prompt.detail);
  });

export const inputIvr: ComponentHandler<'input_ivr'> = (config, context) =>
  withCall(context, async (call) => {
    const prompt = await prepare(config.prompt, context);
    const limits = { maxDigits: config.max_digits, terminator: config.terminator, timeoutS: config.timeout_s };
    let digits = '';
    let keys = 0;
    for (let attempt = 1; attempt <= config.max_attempts; attempt += 1) {
      if (attempt > 1) await replay(prompt, context);
      const typed = await context.services.telephony.collectDigits(context.accountId, call.contact_number, prompt.announcement, limits, keysUsed(call) + keys);
      digits = typed.digits;
      keys += typed.pressed;
      if (digits !== '') await context.logOnCall({ type: 'dtmf', digits });
      const detail = { ...prompt.detail, digits, attempts: attempt };
      if (digits.length >= config.min_digits) return next('next', detail, { variables: { [config.variable]: digits }, call: pressed(call, keys) });
    }
    return next(digits === '' ? 'timeout' : 'invalid', { ...prompt.detail, digits, attempts: config.max_attempts }, { call: pressed(call, keys) });
  });

export const standardIvr: ComponentHandler<'standard_ivr'> = (config, context) =>
  withCall(context, async (call) => {
    const prompt = await prepare(config.prompt, context);
    let key: string | null = null;
    let keys = 0;
    for (let attempt = 1; attempt <= config.max_attempts; attempt += 1) {
      if (attempt > 1) await replay(prompt, context);
      key = await context.services.telephony.promptDigit(context.accountId, call.contact_number, prompt.announcement, config.timeout_s, keysUsed(call) + keys);
      if (key !== null) {
        keys += 1;
        await context.logOnCall({ type: 'dtmf', digits: key });
      }
      const exit = key === null ? undefined : config.options[key];
      if (exit !== undefined) return next(exit, { ...prompt.detail, digits: key, attempts: attempt }, { call: pressed(call, keys) });
    }
    return next(key === null ? 'timeout' : 'invalid', { ...prompt.detail, digits: key, attempts: config.max_attempts }, { call: pressed(call, keys) });
  });

/** The first intent one of whose phrases the caller said (`saysPhrase`: whole words, or their start). */
function intentOf(speech: string, intents: Record<string, string[]>): string | undefined {
  return Object.keys(intents).find((intent) => (intents[intent] ?? []).some((phrase) => saysPhrase(speech, phrase)));
}

export const voiceIvr: ComponentHandler<'voice_ivr'> = (config, context) =>
  withCall(context, async (call) => {
    const prompt = await prepare(config.prompt, context);
    const speech = await context.services.telephony.listen(context.accountId, call.contact_number, prompt.announcement, config.timeout_s);
    if (speech === null) return next('timeout', { ...prompt.detail, speech: null });
    const intent = intentOf(speech, config.intents);
    return next(intent ?? 'no_match', { ...prompt.detail, speech, intent: intent ?? null });
  });

export const voiceTranscription: ComponentHandler<'voice_transcription'> = (config, context) =>
  withCall(context, async (call) => {
    const prompt = await prepare(config.prompt, context);
    const speech = await context.services.telephony.listen(context.accountId, call.contact_number, prompt.announcement, config.max_duration_s, config.max_duration_s);
    if (speech === null) return next('error', { ...prompt.detail, transcription: null, error: 'nothing was said' });
    return next('next', { ...prompt.detail, transcription: speech }, { variables: { [config.variable]: speech } });
  });
