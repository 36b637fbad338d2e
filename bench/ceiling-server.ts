/**
 * The ceiling: a bare Fastify server on the same machine, with no auth, schema, database or
 * logging. Its POST route parses the same JSON request and answers a JSON body of the same byte
 * size as the real route (the real route's response, passed in BENCH_RESPONSE, with the
 * request's call_id put in), so the comparison isolates what Switchboard adds per request.
 */
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? '0');
const path = process.env.BENCH_PATH ?? '/telephony/inbound-calls';
const template = JSON.parse(process.env.BENCH_RESPONSE ?? '{}') as Record<string, unknown>;

const app = Fastify({ logger: false });
app.get('/health', () => ({ status: 'ok' }));
app.post(path, (request) => {
  const { call_id } = request.body as { call_id: string };
  return { ...template, call_id };
});

const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await app.listen({ port, host: '127.0.0.1' });
