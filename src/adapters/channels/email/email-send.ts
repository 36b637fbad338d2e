import { createTransport } from 'nodemailer';
import type { ChannelAdapter, OutboundMessage, ProviderConfig, SendResult } from '../../../ports/message-channels.js';
import { channelAdapter, failed, interruption, misconfigured, rejected, textOf, type AdapterOptions, type Attempt, type FailedResult } from '../shared/provider-http.js';

interface SmtpTarget {
  host: string;
  port: number;
  secure: boolean;
}

function flagOf(value: string | number | boolean | undefined): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/**
 * Where to connect: `baseUrl` `smtp://host[:port]` (port 587, STARTTLS when offered) or
 * `smtps://host[:port]` (port 465, TLS from the start); `settings.host`, `settings.port` and
 * `settings.secure` override its parts, or replace it when `baseUrl` is empty.
 */
function targetOf(provider: ProviderConfig): SmtpTarget | FailedResult {
  let host: string | undefined;
  let port: number | undefined;
  let secure: boolean | undefined;
  if (provider.baseUrl.trim() !== '') {
    const url = URL.canParse(provider.baseUrl) ? new URL(provider.baseUrl) : undefined;
    if (url === undefined || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')) {
      return misconfigured(provider, `baseUrl ${JSON.stringify(provider.baseUrl)} is not smtp://host[:port] or smtps://host[:port]`);
    }
    host = url.hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
    port = url.port === '' ? undefined : Number(url.port);
    secure = url.protocol === 'smtps:';
  }
  host = textOf(provider.settings.host) ?? host;
  const portSetting = provider.settings.port;
  if (portSetting !== undefined) port = Number(portSetting);
  secure = flagOf(provider.settings.secure) ?? secure;
  if (host === undefined) return misconfigured(provider, 'no SMTP host: set baseUrl smtp://host:port or settings.host');
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) return misconfigured(provider, `port ${String(portSetting)} is not a TCP port`);
  const isSecure = secure ?? port === 465;
  return { host, port: port ?? (isSecure ? 465 : 587), secure: isSecure };
}

/** One addr-spec, nothing that could make a list of recipients or a display name out of it. */
const SINGLE_ADDRESS = /^[^\s@,;<>"()]+@[^\s@,;<>"()]+$/;

/** The subject when the message has no title: its first non-empty line, cut to 200 characters. */
function subjectOf(message: OutboundMessage): string {
  if (message.title !== null) return message.title;
  const line = message.body.split(/\r?\n/).find((text) => text.trim() !== '')?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

interface SmtpError {
  message: string;
  code?: string;
  responseCode?: number;
}

/**
 * 5xx: the server refused this message for good. 4xx, a lost or refused connection, TLS trouble:
 * the server's trouble. A failed login (whatever its reply code) breaks every message: the provider's.
 */
function classify(error: unknown): SendResult {
  const { message, code, responseCode } = (error instanceof Error ? error : new Error(String(error))) as SmtpError;
  if (code === 'EAUTH') return failed(responseCode === undefined ? 'auth' : String(responseCode), message);
  if (responseCode !== undefined && responseCode >= 500) return rejected(String(responseCode), message);
  if (responseCode !== undefined && responseCode >= 400) return failed(String(responseCode), message);
  if (code === 'ETIMEDOUT') return failed('timeout', message);
  // Refused by nodemailer before the server saw it (no valid recipient, too large).
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return rejected('invalid_message', message);
  return failed('network', message);
}

async function send(message: OutboundMessage, provider: ProviderConfig, signal: AbortSignal, { timeoutMs, egress }: Attempt): Promise<SendResult> {
  const target = targetOf(provider);
  if ('kind' in target) return target;
  const from = textOf(provider.settings.from);
  if (from === undefined) return misconfigured(provider, 'settings.from is missing');
  const { username, password } = provider.credentials;
  if ((username === undefined) !== (password === undefined)) return misconfigured(provider, 'credentials.username and credentials.password go together');
  if (!SINGLE_ADDRESS.test(message.to)) return rejected('invalid_address', `${JSON.stringify(message.to)} is not one email address`);
  try {
    // nodemailer takes no lookup of ours: the host is resolved and checked before it connects.
    await egress.check(target.host);
  } catch (error) {
    return failed('network', error instanceof Error ? error.message : String(error));
  }

  const transport = createTransport({
    ...target,
    requireTLS: flagOf(provider.settings.requireTLS) ?? false,
    ...(username === undefined || password === undefined ? {} : { auth: { user: username, pass: password } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  });
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const info = await transport.sendMail({
      from,
      to: message.to,
      subject: subjectOf(message),
      text: message.body,
      disableFileAccess: true,
      disableUrlAccess: true,
      signal: AbortSignal.any([signal, deadline]),
    });
    return { kind: 'accepted', providerMessageId: info.messageId, details: `SMTP: ${info.response}` };
  } catch (error) {
    return interruption(signal, deadline, timeoutMs) ?? classify(error);
  } finally {
    transport.close();
  }
}

/** Email over SMTP (nodemailer), one connection per attempt. */
export function createEmailAdapter(options: AdapterOptions = {}): ChannelAdapter {
  return channelAdapter('email', options, send);
}
