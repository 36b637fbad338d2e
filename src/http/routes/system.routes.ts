import { z } from 'zod';
import type { RouteModule } from './route-module.js';

const hidden = { hide: true } as const;

export const systemRoutes: RouteModule = (app, services) => {
  app.get('/health', { config: { auth: 'public' }, schema: { ...hidden, response: { 200: z.object({ status: z.literal('ok') }) } } }, () => ({
    status: 'ok' as const,
  }));

  app.get('/ready', { config: { auth: 'public' }, schema: hidden }, async (_request, reply) => {
    const report = await services.readiness();
    return reply.code(report.status === 'ready' ? 200 : 503).send(report);
  });

  app.get('/metrics', { config: { auth: 'public' }, schema: hidden }, async (_request, reply) => {
    const body = await services.metrics.registry.metrics();
    return reply.type(services.metrics.registry.contentType).send(body);
  });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: hidden }, () => app.swagger());
};
