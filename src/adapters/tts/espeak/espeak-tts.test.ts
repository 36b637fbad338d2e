import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { EspeakTts } from './espeak-tts.js';

const installed = (() => {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('espeak-ng text-to-speech', () => {
  const tts = new EspeakTts();

  it('resolves BCP-47 tags case-insensitively, falling back from region to language', () => {
    expect(tts.resolve('en-us')).toBe('en-US');
    expect(tts.resolve('pt-BR')).toBe('pt-BR');
    expect(tts.resolve('de-AT')).toBe('de-AT');
    expect(tts.resolve('tlh')).toBeUndefined();
  });

  it.skipIf(!installed)('renders WAV audio with the real engine', async () => {
    const audio = await tts.synthesize('We are experiencing an outage.', 'en-US');
    expect(audio.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(audio.length).toBeGreaterThan(10_000);
  });

  it('fails clearly when the engine is missing', async () => {
    await expect(new EspeakTts('no-such-espeak-binary').synthesize('hello', 'en-US')).rejects.toThrow(/could not start/);
  });
});
