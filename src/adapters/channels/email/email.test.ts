import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { noAbort, outbound, outcome, provider } from '../../../../test/support/providers/messages.js';
import { createEmailAdapter, emailAdapter, emailWebhook } from './index.js';

interface Delivered {
  from: string | undefined;
  to: string[];
  raw: string;
}

interface LocalSmtp {
  url: string;
  port: number;
  delivered: Delivered[];
  logins: string[];
  close(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
  }
}

/**
 * A real SMTP server on a random port: plain (no STARTTLS, so no certificate to trust), AUTH
 * required as `mailer`/`s3cret`; `blocked@` is refused with 550, `busy@` deferred with 450.
 */
async function startSmtp(): Promise<LocalSmtp> {
  const delivered: Delivered[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? '');
      if (auth.username === 'mailer' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(new SmtpReply('Authentication credentials invalid', 535));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('blocked@')) callback(new SmtpReply('5.1.1 Mailbox unavailable', 550));
      else if (address.address.startsWith('busy@')) callback(new SmtpReply('4.2.1 Mailbox busy, try later', 450));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address;
        delivered.push({ from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback(null, 'Queued as A1B2C3');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, port, delivered, logins, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TCP server that accepts connections and never says a word (no SMTP greeting). */
async function startSilent(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function smtp(): Promise<LocalSmtp> {
  const server = await startSmtp();
  cleanups.push(() => server.close());
  return server;
}

const mailer = (baseUrl: string, credentials: Record<string, string> = { username: 'mailer', password: 's3cret' }) =>
  provider({ baseUrl, credentials, settings: { from: 'Acme Support <support@acme.example>' } });

describe('email adapter (SMTP)', () => {
  it('logs in, sends from settings.from with the title as subject, and answers the Message-ID', async () => {
    const server = await smtp();
    const result = await emailAdapter.send(outbound({ to: 'ada@example.org', title: 'Order A-17', body: 'Your order shipped.\nIt arrives Tuesday.' }), mailer(server.url), noAbort());
    expect(result.kind).toBe('accepted');
    expect(result.kind === 'accepted' && result.providerMessageId).toMatch(/^<.+@.+>$/);
    expect(result.kind === 'accepted' && result.details).toMatch(/^SMTP: 250 .*Queued as A1B2C3/);
    expect(server.logins).toEqual(['mailer']);
    expect(server.delivered).toHaveLength(1);
    const [mail] = server.delivered;
    expect(mail).toMatchObject({ from: 'support@acme.example', to: ['ada@example.org'] });
    expect(mail?.raw).toMatch(/^Subject: Order A-17\r$/m);
    expect(mail?.raw).toMatch(/^From: Acme Support <support@acme.example>\r$/m);
    expect(mail?.raw).toContain('Your order shipped.\r\nIt arrives Tuesday.');
    expect(result.kind === 'accepted' && mail?.raw).toContain(`Message-ID: ${result.kind === 'accepted' ? result.providerMessageId : ''}`);
  });

  it('takes the subject from the first line when there is no title', async () => {
    const server = await smtp();
    await emailAdapter.send(outbound({ to: 'ada@example.org', body: '\nYour order shipped.\nDetails follow.' }), mailer(server.url), noAbort());
    expect(server.delivered[0]?.raw).toMatch(/^Subject: Your order shipped\.\r$/m);
  });

  it('reads host, port and security from settings when baseUrl is empty', async () => {
    const server = await smtp();
    const p = provider({ baseUrl: '', credentials: { username: 'mailer', password: 's3cret' }, settings: { from: 'support@acme.example', host: '127.0.0.1', port: server.port, secure: false } });
    expect((await emailAdapter.send(outbound({ to: 'ada@example.org' }), p, noAbort())).kind).toBe('accepted');
  });

  it('rejects a recipient the server refuses for good (550) and fails one it defers (450)', async () => {
    const server = await smtp();
    const refused = await emailAdapter.send(outbound({ to: 'blocked@example.org' }), mailer(server.url), noAbort());
    expect(outcome(refused)).toBe('rejected 550');
    expect(refused.kind === 'rejected' && refused.reason).toContain('Mailbox unavailable');
    expect(outcome(await emailAdapter.send(outbound({ to: 'busy@example.org' }), mailer(server.url), noAbort()))).toBe('failed 450');
    expect(server.delivered).toHaveLength(0);
  });

  it('fails (the provider, not the message) when the login is refused', async () => {
    const server = await smtp();
    const result = await emailAdapter.send(outbound({ to: 'ada@example.org' }), mailer(server.url, { username: 'mailer', password: 'wrong' }), noAbort());
    expect(outcome(result)).toBe('failed 535');
    expect(server.delivered).toHaveLength(0);
  });

  it('fails on a refused connection and on a server that never greets', async () => {
    const refused = await emailAdapter.send(outbound({ to: 'ada@example.org' }), mailer(`smtp://127.0.0.1:${await freePort()}`), noAbort());
    expect(outcome(refused)).toBe('failed network');
    expect(refused.kind === 'failed' && refused.reason).toMatch(/ECONNREFUSED|connect/i);
    const silent = await startSilent();
    cleanups.push(() => silent.close());
    const started = Date.now();
    expect(outcome(await createEmailAdapter({ timeoutMs: 300 }).send(outbound({ to: 'ada@example.org' }), mailer(silent.url), noAbort()))).toBe('failed timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails with timeout at the caller's deadline, and rejects with the abort reason when the caller cancels", async () => {
    const silent = await startSilent();
    cleanups.push(() => silent.close());
    expect(outcome(await emailAdapter.send(outbound({ to: 'ada@example.org' }), mailer(silent.url), AbortSignal.timeout(150)))).toBe('failed timeout');
    const controller = new AbortController();
    const sending = emailAdapter.send(outbound({ to: 'ada@example.org' }), mailer(silent.url), controller.signal);
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(sending).rejects.toThrow('shutting down');
  });

  it('rejects an address that is not exactly one mailbox, without connecting', async () => {
    const server = await smtp();
    for (const to of ['ada@example.org, eve@example.org', 'Ada <ada@example.org>', 'not-an-address']) {
      expect(outcome(await emailAdapter.send(outbound({ to }), mailer(server.url), noAbort()))).toBe('rejected invalid_address');
    }
    expect(server.logins).toEqual([]);
  });

  it('fails as misconfigured without a from, with a non-SMTP baseUrl, or a username without a password', async () => {
    const message = outbound({ to: 'ada@example.org' });
    expect(outcome(await emailAdapter.send(message, provider({ baseUrl: 'smtp://127.0.0.1:25' }), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await emailAdapter.send(message, mailer('https://mail.example'), noAbort()))).toBe('failed misconfigured');
    expect(outcome(await emailAdapter.send(message, mailer('smtp://127.0.0.1:25', { username: 'mailer' }), noAbort()))).toBe('failed misconfigured');
  });
});

describe('email webhook', () => {
  it('is unsupported: nothing verifies and nothing is read', () => {
    expect(emailWebhook.verify({ rawBody: '{}', headers: {}, url: 'https://switchboard.example/webhooks/email' }, mailer('smtp://mail.example'))).toBe(false);
    expect(emailWebhook.receipts({ anything: true })).toEqual([]);
  });
});
