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

  it('renders nothing when the engine is not installed, and says so once', async () => {
    const said: string[] = [];
    const missing = new EspeakTts('no-such-espeak-binary', (message) => said.push(message));
    expect((await missing.synthesize('hello', 'en-US')).length).toBe(0);
    expect((await missing.synthesize('again', 'en-US')).length).toBe(0);
    expect(said).toEqual(['no-such-espeak-binary is not installed: prompts are not rendered to audio (the simulated network records their text)']);
  });

  it('fails clearly when the engine fails', async () => {
    await expect(new EspeakTts('false').synthesize('hello', 'en-US')).rejects.toThrow(/false exited with 1/);
  });
});
