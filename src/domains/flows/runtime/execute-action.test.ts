import { afterEach, describe, expect, it } from 'vitest';
import { FetchHttpClient } from '../../../adapters/http/fetch-client.js';
import { ManualClock, systemClock, type Clock } from '../../../kernel/clock.js';
import { runExecuteAction, type ExecuteActionConfig } from './execute-action.js';
import { json, refusedUrl, startTestHttpServer, type TestHttpServer } from './test-http-server.js';

const http = new FetchHttpClient();

/** Backoff waits are recorded, not slept: the schedule is checked without real time passing. */
function recordingDeps(clock: Clock = systemClock) {
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  return { deps: { http, clock, sleep }, waits };
}

const config = (overrides: Partial<ExecuteActionConfig> & Pick<ExecuteActionConfig, 'url'>): ExecuteActionConfig => ({
  method: 'GET',
  headers: {},
  timeout_ms: 5000,
  retry: { max_retries: 2, backoff_ms: 100 },
  output: {},
  ...overrides,
});

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('execute_action at run time', () => {
  it('renders url, headers and body, sends them, and maps JSON paths of the answer into string variables', async () => {
    server = await startTestHttpServer(() =>
      json(200, { data: { id: 'ord-7', total: 12.5, paid: true, note: null }, items: [{ name: 'first' }, { name: 'second' }], 'x-id': 'X9', meta: { a: [1] } }),
    );
    const { deps } = recordingDeps();
    const result = await runExecuteAction(
      config({
        method: 'POST',
        url: `${server.url}/customers/{{customer_id}}/orders?src={{ source }}`,
        headers: { Authorization: 'Bearer {{token}}' },
        body: { customer: '{{customer_id}}', tags: ['vip', 'lang-{{lang}}'], count: 2 },
        output: {
          order_id: '$.data.id',
          total: '$.data.total',
          paid: '$.data.paid',
          note: '$.data.note',
          first_item: '$.items[0].name',
          second_item: "$['items'][1]['name']",
          x_id: "$['x-id']",
          meta: '$.meta',
          missing: '$.data.nothing_here',
        },
      }),
      { customer_id: 'c-42', source: 'ivr', token: 't0k', lang: 'pt' },
      deps,
    );

    expect(result.exit).toBe('success');
    expect(result.variables).toEqual({
      order_id: 'ord-7',
      total: '12.5',
      paid: 'true',
      note: '',
      first_item: 'first',
      second_item: 'second',
      x_id: 'X9',
      meta: '{"a":[1]}',
    });
    expect(result.detail).toMatchObject({ method: 'POST', url: `${server.url}/customers/c-42/orders?src=ivr`, status: 200, attempts: 1 });
    expect(result.detail.error).toBeUndefined();

    const [received] = server.received;
    expect(received).toMatchObject({ method: 'POST', url: '/customers/c-42/orders?src=ivr' });
    expect(received?.headers.authorization).toBe('Bearer t0k');
    expect(received?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received?.body ?? '')).toEqual({ customer: 'c-42', tags: ['vip', 'lang-pt'], count: 2 });
  });

  it('keeps a value with quotes inside its JSON string instead of breaking the body', async () => {
    server = await startTestHttpServer(() => ({ status: 204 }));
    const { deps } = recordingDeps();
    await runExecuteAction(config({ method: 'POST', url: server.url, body: { name: '{{name}}' } }), { name: 'Ann "the" \\ O\'Neil' }, deps);
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({ name: 'Ann "the" \\ O\'Neil' });
  });

  it('sends a string body as its rendered text, honouring a configured content type; GET sends no body', async () => {
    server = await startTestHttpServer(() => ({ status: 200 }));
    const { deps } = recordingDeps();
    await runExecuteAction(
      config({ method: 'POST', url: server.url, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'phone={{phone}}&ok=1' }),
      { phone: '15550100' },
      deps,
    );
    await runExecuteAction(config({ method: 'GET', url: server.url, body: { ignored: true } }), {}, deps);
    expect(server.received[0]).toMatchObject({ body: 'phone=15550100&ok=1' });
    expect(server.received[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(server.received[1]).toMatchObject({ method: 'GET', body: '' });
  });

  it('retries a 500 and succeeds on the second attempt', async () => {
    server = await startTestHttpServer((_request, index) => (index === 0 ? json(500, { error: 'boom' }) : json(200, { ok: 'yes' })));
    const { deps, waits } = recordingDeps();
    const result = await runExecuteAction(config({ url: server.url, output: { ok: '$.ok' } }), {}, deps);
    expect(result).toMatchObject({ exit: 'success', variables: { ok: 'yes' }, detail: { status: 200, attempts: 2 } });
    expect(server.received).toHaveLength(2);
    expect(waits).toEqual([100]);
  });

  it('fails after the configured retries when the server keeps answering 500, backing off exponentially', async () => {
    server = await startTestHttpServer(() => json(500, { error: 'boom' }));
    const { deps, waits } = recordingDeps();
    const result = await runExecuteAction(config({ url: server.url, retry: { max_retries: 3, backoff_ms: 100 }, output: { x: '$.error' } }), {}, deps);
    expect(result).toMatchObject({ exit: 'failure', variables: {}, detail: { status: 500, attempts: 4, error: 'HTTP 500' } });
    expect(server.received).toHaveLength(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('sends every attempt of a step with the step\'s Idempotency-Key, unless the definition sets one', async () => {
    server = await startTestHttpServer((_request, index) => (index === 0 ? 'hang' : json(200, { charged: 'yes' })));
    const { deps } = recordingDeps();
    const charge = config({ method: 'POST', url: `${server.url}/charges`, body: { amount: '100' }, timeout_ms: 150 });
    const result = await runExecuteAction(charge, {}, deps, 'interaction-1:4');
    expect(result).toMatchObject({ exit: 'success', detail: { attempts: 2 } });
    expect(server.received.map((request) => request.headers['idempotency-key'])).toEqual(['interaction-1:4', 'interaction-1:4']);
    await runExecuteAction({ ...charge, headers: { 'Idempotency-Key': 'mine-{{order}}' } }, { order: '7' }, deps, 'interaction-1:5');
    expect(server.received[2]?.headers['idempotency-key']).toBe('mine-7');
  });

  it('does not retry a 404', async () => {
    server = await startTestHttpServer(() => json(404, { error: 'no such customer' }));
    const { deps, waits } = recordingDeps();
    const result = await runExecuteAction(config({ url: server.url }), {}, deps);
    expect(result).toMatchObject({ exit: 'failure', detail: { status: 404, attempts: 1, error: 'HTTP 404' } });
    expect(server.received).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('fails on a timeout, after retrying it', async () => {
    server = await startTestHttpServer(() => 'hang');
    const { deps } = recordingDeps();
    const result = await runExecuteAction(config({ url: server.url, timeout_ms: 150, retry: { max_retries: 1, backoff_ms: 0 } }), {}, deps);
    expect(result).toMatchObject({ exit: 'failure', variables: {}, detail: { status: null, attempts: 2 } });
    expect(result.detail.error).toMatch(/^timeout/);
    expect(server.received).toHaveLength(2);
  });

  it('fails when the connection is refused, after retrying it', async () => {
    const url = await refusedUrl();
    const { deps, waits } = recordingDeps();
    const result = await runExecuteAction(config({ url: `${url}/hook` }), {}, deps);
    expect(result).toMatchObject({ exit: 'failure', detail: { url: `${url}/hook`, status: null, attempts: 3 } });
    expect(result.detail.error).toMatch(/^network: .*ECONNREFUSED/);
    expect(waits).toEqual([100, 200]);
  });

  it('fails without a request when the rendered URL is not an http(s) URL', async () => {
    const { deps } = recordingDeps();
    const result = await runExecuteAction(config({ url: '{{base}}/orders' }), { base: 'not a url' }, deps);
    expect(result).toMatchObject({ exit: 'failure', detail: { url: 'not a url/orders', status: null, attempts: 0 } });
  });

  it('leaves an output unset when the answer is not JSON, except `$`, which reads the text', async () => {
    server = await startTestHttpServer(() => ({ status: 200, body: 'plain words' }));
    const { deps } = recordingDeps();
    const result = await runExecuteAction(config({ url: server.url, output: { text: '$', id: '$.id' } }), {}, deps);
    expect(result).toMatchObject({ exit: 'success', variables: { text: 'plain words' } });
    expect(result.variables).not.toHaveProperty('id');
  });

  it('waits out its backoff on the injected clock: a minute of virtual backoff takes no real minute', async () => {
    server = await startTestHttpServer((_request, index) => (index === 0 ? json(503, {}) : json(200, { ok: 1 })));
    const clock = new ManualClock();
    let timerSet: () => void = () => undefined;
    const timerWasSet = new Promise<void>((resolve) => (timerSet = resolve));
    const watched: Clock = {
      now: () => clock.now(),
      setTimer: (ms, fn) => {
        const cancel = clock.setTimer(ms, fn);
        timerSet();
        return cancel;
      },
    };
    const running = runExecuteAction(config({ url: server.url, retry: { max_retries: 1, backoff_ms: 60_000 } }), {}, { http, clock: watched });
    await timerWasSet;
    expect(server.received).toHaveLength(1);
    clock.advance(60_000);
    const result = await running;
    expect(result).toMatchObject({ exit: 'success', detail: { status: 200, attempts: 2, duration_ms: 60_000 } });
  }, 10_000);
});
