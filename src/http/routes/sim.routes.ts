import { z } from 'zod';
import { phoneScriptSchema } from '../../adapters/telephony/simulated/index.js';
import { e164 } from '../../domains/directory/index.js';
import { DomainError, invalid, notFound } from '../../kernel/errors.js';
import { principalOf } from '../auth.js';
import { callView } from './calls.routes.js';
import { callSchema } from '../../domains/continuity/index.js';
import type { RouteModule } from './route-module.js';

const route = { auth: { scope: 'telephony:route' as const } };
const tags = ['simulated network'];
const phoneParams = z.object({ number: e164 });
const storedScript = phoneScriptSchema.extend({ number: z.string() });

/** Scripting the simulated telephone network; every route is 404 under another adapter. */
export const simRoutes: RouteModule = (app, { network, continuity }) => {
  const sim = () => {
    if (!network) throw new DomainError('not_found', 'the simulated network is not the active telephony adapter');
    return network;
  };

  app.put(
    '/sim/phones/:number',
    { config: route, schema: { tags, summary: 'Script how an external number behaves', params: phoneParams, body: phoneScriptSchema, response: { 200: storedScript } } },
    async (request) => {
      const script = await sim().scriptPhone(principalOf(request).accountId, request.params.number, request.body);
      return { number: request.params.number, ...script };
    },
  );

  app.get('/sim/phones/:number', { config: route, schema: { tags, params: phoneParams, response: { 200: storedScript } } }, async (request) => ({
    number: request.params.number,
    ...(await sim().phoneScript(principalOf(request).accountId, request.params.number)),
  }));

  app.delete('/sim/phones/:number', { config: route, schema: { tags, params: phoneParams } }, async (request, reply) => {
    await sim().forgetPhone(principalOf(request).accountId, request.params.number);
    return reply.code(204).send();
  });

  app.post(
    '/sim/inbound-calls',
    {
      // It creates a call, so a repeat with the same Idempotency-Key must not dial in again.
      config: { ...route, idempotent: true },
      schema: {
        tags,
        summary: "A caller dials one of the account's numbers",
        body: z.strictObject({ from: z.string().min(1).max(64), to: e164 }),
        response: { 201: z.object({ call_id: z.string(), decision: callSchema.shape.decision.unwrap(), events: callSchema.shape.events }) },
      },
    },
    async (request, reply) => {
      const network = sim();
      const { accountId } = principalOf(request);
      // From the routing snapshot, as the network itself routes: a caller still gets through while the database is down.
      if (!(await continuity.ownsNumber(accountId, request.body.to))) throw invalid([{ name: 'to', description: "is not one of the account's numbers" }]);
      return reply.code(201).send(await network.placeInboundCall(accountId, request.body.from, request.body.to));
    },
  );

  app.post(
    '/sim/calls/:call_id/hangup',
    { config: route, schema: { tags, summary: 'The caller hangs up a call still in progress', params: z.object({ call_id: z.string() }), response: { 200: callSchema } } },
    async (request) => {
      if (!network) throw notFound('call');
      return callView(await network.hangUp(principalOf(request).accountId, request.params.call_id));
    },
  );
};
