/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: any;
}

/** A Server-Sent Events client over fetch, as a customer app would hold the stream open. */
export class SseClient {
  readonly events: SseEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly reading: Promise<void>;

  private constructor(readonly status: number, body: ReadableStream<Uint8Array> | null, private readonly controller: AbortController) {
    this.reading = body ? this.read(body) : Promise.resolve();
  }

  static async connect(url: string, token?: string): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: controller.signal });
    return new SseClient(response.status, response.status === 200 ? response.body : null, controller);
  }

  /** Resolves with the first event (received or to come) matching `match`. */
  async next(match: (event: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has ended the stream (or `close` aborted it). */
  get ended(): Promise<void> {
    return this.reading;
  }

  messages(): SseEvent[] {
    return this.events.filter((event) => event.event === 'message');
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.reading.catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    }
  }

  private parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
    if (fields.data === undefined) return;
    this.events.push({ event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data) });
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
