import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { databaseUrl } from '../support/harness.js';
import { ServerProcess } from '../support/server-process.js';

describe('stopping a server (SIGTERM)', () => {
  it('cuts off a request still uploading once the shutdown grace is over, and exits', async () => {
    const node = await ServerProcess.start(databaseUrl('sqlite'), { SWITCHBOARD_SHUTDOWN_GRACE_S: '1' });
    const { port } = new URL(node.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // Read what the server sends (its early 401), or the socket would never see its end.
    socket.resume();
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // A body announced at 1,000 bytes of which a few arrive, then nothing: a client uploading very slowly.
    socket.write('POST /cases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"title": "Slo');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await node.stop();
    await closed;
    expect(node.exitCode).toBe(0);
    expect(node.output.join('')).toContain('cut off');
  }, 60_000);
});
