import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, SIGNING_SECRET } from './harness.js';
import { eventually } from './eventually.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** A real `switchboard` server process (src/main.ts), as an operator would run one node. */
export class ServerProcess {
  private constructor(private readonly child: ChildProcess, readonly baseUrl: string, readonly output: string[]) {}

  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort();
    const output: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
        SWITCHBOARD_SIGNING_SECRET: SIGNING_SECRET,
        SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'switchboard-node-')),
        LOG_LEVEL: 'warn',
        // A node runs jobs only where a test asks for it, so it never takes other tests' jobs.
        SWITCHBOARD_WORKER: 'false',
        SWITCHBOARD_EGRESS_ALLOW: '127.0.0.0/8,::1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const node = new ServerProcess(child, `http://127.0.0.1:${port}`, output);
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${output.join('')}`);
      const response = await fetch(`${node.baseUrl}/health`);
      if (!response.ok) throw new Error('not healthy yet');
    }, 30_000, 100);
    return node;
  }

  async call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** The value of one unlabelled metric on this node's `/metrics`. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    if (!line) throw new Error(`no metric ${name}`);
    return Number(line.slice(name.length + 1));
  }

  /** The process's exit code once it exited (null before, or when a signal ended it). */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Ends the process at once, as `kill -9` or a crash would: nothing is finished, flushed or released. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    // A process that already exited, or was killed, has nothing left to stop.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }
}
