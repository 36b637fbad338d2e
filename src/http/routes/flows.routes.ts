import { z } from 'zod';
import {
  createFlowBody,
  draftBody,
  executionsQuery,
  interactionSchema,
  startedInteractionSchema,
  startInteractionBody,
  flowSchema,
  flowVersionSchema,
  requestDetailsSchema,
  validationReportSchema,
  versionRefSchema,
} from '../../domains/flows/index.js';
import { decodeCursor } from '../../kernel/page.js';
import { principalOf } from '../auth.js';
import { answerWithWork } from '../idempotency.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import { scenarioSchema, simulationResultSchema } from '../../simulation/index.js';
import { callView } from './calls.routes.js';
import type { RouteModule } from './route-module.js';
import { timeRange } from '../time-range.js';

const read = { auth: { scope: 'flows:read' as const } };
const write = { auth: { scope: 'flow-definitions:write' as const } };
const start = { auth: { scope: 'flows-interactions:start' as const } };
const START_BODY_LIMIT_BYTES = 64 * 1024;
const tags = ['flows'];
const params = z.object({ flow_id: z.string().min(1).max(100) });
/** Validate and publish act on the stored draft: they take no body, or an empty JSON object. */
const noBody = z.strictObject({}).nullish();

export const flowsRoutes: RouteModule = (app, { flows, interactions, simulator }) => {
  app.post(
    '/flows',
    { config: { ...write, idempotent: true }, schema: { tags, summary: 'Create a flow with a draft', body: createFlowBody, response: { 201: flowSchema } } },
    async (request, reply) => reply.code(201).send(await flows.create(principalOf(request).accountId, request.body)),
  );

  app.get(
    '/flows',
    { config: read, schema: { tags, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('flows', flowSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      const page = await flows.list(principalOf(request).accountId, decodeCursor(cursor, z.string()), per_page);
      return halList(request, 'flows', page, per_page);
    },
  );

  app.get('/flows/:flow_id', { config: read, schema: { tags, params, response: { 200: flowSchema } } }, (request) =>
    flows.get(principalOf(request).accountId, request.params.flow_id),
  );

  app.put(
    '/flows/:flow_id/draft',
    { config: write, schema: { tags, summary: 'Replace the draft (saved even when invalid)', params, body: draftBody, response: { 200: flowSchema } } },
    (request) => flows.replaceDraft(principalOf(request).accountId, request.params.flow_id, request.body.definition),
  );

  app.post(
    '/flows/:flow_id/validate',
    // Whoever may publish may check first: a token with only flow-definitions:write validates too.
    { config: { auth: { anyScope: ['flows:read', 'flow-definitions:write'] as const } }, schema: { tags, summary: 'Validate the draft, reporting every problem', params, body: noBody, response: { 200: validationReportSchema } } },
    (request) => flows.validate(principalOf(request).accountId, request.params.flow_id),
  );

  app.post(
    '/flows/:flow_id/publish',
    {
      config: { ...write, idempotent: true },
      schema: { tags, summary: 'Publish the draft as the next immutable version (422 with every problem when it is invalid)', params, body: noBody, response: { 201: versionRefSchema } },
    },
    async (request, reply) => reply.code(201).send(await flows.publish(principalOf(request).accountId, request.params.flow_id)),
  );

  app.get(
    '/flows/:flow_id/versions',
    { config: read, schema: { tags, summary: 'Published versions, newest first', params, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('versions', flowVersionSchema) } } },
    async (request) => {
      const { per_page, cursor } = request.query;
      const below = decodeCursor(cursor, z.number().int().min(1));
      const page = await flows.versions(principalOf(request).accountId, request.params.flow_id, below, per_page);
      return halList(request, 'versions', page, per_page);
    },
  );

  app.get(
    '/flows/:flow_id/request-details',
    { config: read, schema: { tags, summary: 'How to start the published version: URL, method, scope, arguments and a sample request', params, response: { 200: requestDetailsSchema } } },
    // The URL is absolute as the caller reached this server; without a Host header it stays a path.
    (request) => flows.requestDetails(principalOf(request).accountId, request.params.flow_id, request.host ? `${request.protocol}://${request.host}` : ''),
  );

  app.post(
    '/flows/:flow_id/interactions',
    {
      // The contract caps a start request at 64 KiB, whatever the server's general limit.
      bodyLimit: START_BODY_LIMIT_BYTES,
      config: { ...start, idempotent: true },
      schema: {
        tags,
        summary: 'Start the published version with string arguments (at most the account\'s rate per second, 2 by default)',
        params,
        body: startInteractionBody,
        response: { 202: startedInteractionSchema },
      },
    },
    async (request, reply) => {
      const started = await interactions.start(principalOf(request).accountId, request.params.flow_id, request.body, answerWithWork(request, reply.code(202)));
      return reply.send(started);
    },
  );

  app.get(
    '/flows/:flow_id/executions',
    {
      config: read,
      schema: { tags, summary: 'The execution report: interactions of the flow, newest first, with every step', params, querystring: executionsQuery.extend(pageQuery), response: { 200: halListSchema('executions', interactionSchema) } },
    },
    async (request) => {
      const { per_page, cursor, created_from, created_to, ...filters } = request.query;
      const after = decodeCursor(cursor, z.tuple([z.string(), z.string()]));
      const range = timeRange('created', created_from, created_to);
      const page = await interactions.executions(principalOf(request).accountId, request.params.flow_id, { ...filters, ...range }, after, per_page);
      return halList(request, 'executions', page, per_page);
    },
  );

  app.get(
    '/interactions/:interaction_id',
    { config: read, schema: { tags, summary: 'An interaction: status, variables and every step', params: z.object({ interaction_id: z.string().min(1).max(100) }), response: { 200: interactionSchema } } },
    (request) => interactions.get(principalOf(request).accountId, request.params.interaction_id),
  );

  app.post(
    '/flows/:flow_id/simulate',
    {
      config: read,
      schema: {
        tags,
        summary: 'Run the draft (or a version) on a virtual clock against scripted phones and HTTP answers; nothing real is dialled or requested',
        params,
        // No body: the draft, with no arguments, phones or HTTP answers scripted.
        body: scenarioSchema.nullish(),
        response: { 200: simulationResultSchema },
      },
    },
    async (request) => {
      const scenario = request.body ?? scenarioSchema.parse({});
      const result = await simulator.simulate(principalOf(request).accountId, request.params.flow_id, scenario);
      return { ...result, calls: result.calls.map(callView) };
    },
  );
};
