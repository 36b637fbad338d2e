import { spawn } from 'node:child_process';
import type { TextToSpeech } from '../../../ports/tts.js';
import { VOICES } from './voices.js';

const byLowerCase = new Map(Object.keys(VOICES).map((tag) => [tag.toLowerCase(), tag]));

/**
 * espeak-ng behind the TTS port. The catalogue is static, so validation works without the binary.
 * When the binary is not installed nothing is rendered (an empty buffer: the simulated network
 * only records the text), and `onMissing` hears of it once.
 */
export class EspeakTts implements TextToSpeech {
  readonly languages: ReadonlySet<string> = new Set(Object.keys(VOICES));
  /** Set once the binary was found missing: nothing is spawned after that. */
  private missing = false;

  constructor(
    private readonly binary = 'espeak-ng',
    private readonly onMissing: (message: string) => void = () => undefined,
  ) {}

  resolve(tag: string): string | undefined {
    const exact = byLowerCase.get(tag.toLowerCase());
    if (exact) return exact;
    const base = tag.split('-')[0]?.toLowerCase() ?? '';
    return byLowerCase.has(base) ? tag : undefined;
  }

  private voiceFor(tag: string): string {
    const exact = byLowerCase.get(tag.toLowerCase());
    const base = byLowerCase.get(tag.split('-')[0]?.toLowerCase() ?? '');
    const known = exact ?? base;
    if (!known) throw new Error(`unsupported language ${tag}`);
    return VOICES[known] ?? known;
  }

  /** Renders WAV audio; an empty buffer when espeak-ng is not installed; rejects when it fails. */
  synthesize(text: string, language: string): Promise<Buffer> {
    const voice = this.voiceFor(language);
    if (this.missing) return Promise.resolve(Buffer.alloc(0));
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ['-v', voice, '--stdout', '--', text], { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') return reject(new Error(`${this.binary} could not start: ${error.message}`));
        if (!this.missing) this.onMissing(`${this.binary} is not installed: prompts are not rendered to audio (the simulated network records their text)`);
        this.missing = true;
        resolve(Buffer.alloc(0));
      });
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(chunks));
        else reject(new Error(`${this.binary} exited with ${String(code)}: ${stderr.trim()}`));
      });
    });
  }
}
