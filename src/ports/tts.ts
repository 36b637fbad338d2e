/**
 * Text-to-speech. `languages` is the fixed catalogue of BCP-47 tags the engine can speak;
 * `synthesize` renders WAV audio (empty when the engine is not installed) and rejects when it fails.
 */
export interface TextToSpeech {
  readonly languages: ReadonlySet<string>;
  /** The catalogue's spelling of `tag` (case-insensitive match), or undefined when unsupported. */
  resolve(tag: string): string | undefined;
  synthesize(text: string, language: string): Promise<Buffer>;
}
