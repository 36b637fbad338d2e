import { z } from 'zod';
import {
  accountResponse,
  clientResponse,
  createAccountBody,
  createClientBody,
  createServiceTokenBody,
  limitsBody,
  limitsResponse,
  scopeList,
  serviceTokenResponse,
} from '../../domains/accounts/index.js';
import { halList, halListSchema, pageQuery } from '../hal.js';
import type { RouteModule } from './route-module.js';

const accountParams = z.object({ account_id: z.string().min(1) });
const clientParams = accountParams.extend({ client_id: z.string().min(1) });
const credentials = z.object({ client_id: z.string(), client_secret: z.string(), scopes: scopeList });
// Creating POSTs honour Idempotency-Key (API.md, Conventions); a response that shows a secret is kept sealed for replays.
const admin = { auth: 'admin' as const };
const tags = ['admin'];

export const adminRoutes: RouteModule = (app, { accounts }) => {
  app.post(
    '/admin/accounts',
    { config: { ...admin, idempotent: true }, schema: { tags, summary: 'Create an account (tenant)', body: createAccountBody, response: { 201: accountResponse } } },
    async (request, reply) => reply.code(201).send(await accounts.createAccount(request.body)),
  );

  app.get(
    '/admin/accounts/:account_id',
    { config: admin, schema: { tags, params: accountParams, response: { 200: accountResponse } } },
    (request) => accounts.getAccount(request.params.account_id),
  );

  app.post(
    '/admin/accounts/:account_id/clients',
    {
      config: { ...admin, idempotent: 'sealed' },
      schema: {
        tags,
        summary: 'Create an OAuth client; the secret is shown once',
        params: accountParams,
        body: createClientBody,
        response: { 201: credentials },
      },
    },
    async (request, reply) => reply.code(201).send(await accounts.createClient(request.params.account_id, request.body)),
  );

  app.get(
    '/admin/accounts/:account_id/clients',
    {
      config: admin,
      schema: { tags, summary: "The account's OAuth clients, revoked ones included; never their secrets", params: accountParams, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('clients', clientResponse) } },
    },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'clients', await accounts.listClients(request.params.account_id, cursor, per_page), per_page);
    },
  );

  app.post(
    '/admin/accounts/:account_id/clients/:client_id/secret',
    {
      config: { ...admin, idempotent: 'sealed' },
      schema: {
        tags,
        summary: "Replace a client's secret; the new one is shown once",
        description: 'The old secret stops working at once. Access tokens already issued stay valid until they expire; revoke the client to end them too.',
        params: clientParams,
        response: { 200: credentials },
      },
    },
    (request) => accounts.rotateClientSecret(request.params.account_id, request.params.client_id),
  );

  app.delete(
    '/admin/accounts/:account_id/clients/:client_id',
    {
      config: admin,
      schema: { tags, summary: 'Revoke a client: its secret and every access token issued to it stop working on every node', params: clientParams },
    },
    async (request, reply) => {
      await accounts.revokeClient(request.params.account_id, request.params.client_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/admin/accounts/:account_id/limits',
    { config: admin, schema: { tags, summary: "An account's request limits", params: accountParams, response: { 200: limitsResponse } } },
    (request) => accounts.getLimits(request.params.account_id),
  );

  app.patch(
    '/admin/accounts/:account_id/limits',
    {
      config: admin,
      schema: { tags, summary: "Change an account's request limits; omitted fields keep their values", params: accountParams, body: limitsBody, response: { 200: limitsResponse } },
    },
    (request) => accounts.updateLimits(request.params.account_id, request.body),
  );

  app.post(
    '/admin/accounts/:account_id/service-tokens',
    {
      config: { ...admin, idempotent: 'sealed' },
      schema: {
        tags,
        summary: 'Create a long-lived service-user token; shown once',
        params: accountParams,
        body: createServiceTokenBody,
        response: {
          201: z.object({ id: z.string(), token: z.string(), name: z.string(), scopes: scopeList, expires_at: z.string().nullable() }),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await accounts.createServiceToken(request.params.account_id, request.body)),
  );

  app.get(
    '/admin/accounts/:account_id/service-tokens',
    {
      config: admin,
      schema: { tags, summary: "The account's service tokens, revoked and expired ones included; never the tokens", params: accountParams, querystring: z.strictObject(pageQuery), response: { 200: halListSchema('service_tokens', serviceTokenResponse) } },
    },
    async (request) => {
      const { per_page, cursor } = request.query;
      return halList(request, 'service_tokens', await accounts.listServiceTokens(request.params.account_id, cursor, per_page), per_page);
    },
  );

  app.delete(
    '/admin/accounts/:account_id/service-tokens/:token_id',
    { config: admin, schema: { tags, params: accountParams.extend({ token_id: z.string().min(1) }) } },
    async (request, reply) => {
      await accounts.revokeServiceToken(request.params.account_id, request.params.token_id);
      return reply.code(204).send();
    },
  );
};
