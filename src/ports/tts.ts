/**
 * Text-to-speech. `languages` is the fixed catalogue of BCP-47 tags the engine can speak;
 * `synthesize` renders WAV audio and rejects when the engine is missing or fails.
 */
export interface TextToSpeech {
  readonly languages: ReadonlySet<string>;
  /** The catalogue's spelling of `tag` (case-insensitive match), or undefined when unsupported. */
  resolve(tag: string): string | undefined;
  synthesize(text: string, language: string): Promise<Buffer>;
}
