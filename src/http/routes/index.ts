import type { RouteModule } from './route-module.js';
import { systemRoutes } from './system.routes.js';
import { oauthRoutes } from './oauth.routes.js';
import { adminRoutes } from './admin.routes.js';
import { numbersRoutes } from './numbers.routes.js';
import { skillsRoutes } from './skills.routes.js';
import { agentsRoutes } from './agents.routes.js';
import { groupsRoutes } from './groups.routes.js';
import { continuityRoutes } from './continuity.routes.js';
import { callsRoutes } from './calls.routes.js';
import { simRoutes } from './sim.routes.js';
import { callbacksRoutes } from './callbacks.routes.js';
import { flowsRoutes } from './flows.routes.js';
import { casesListRoutes } from './cases-list.routes.js';
import { casesRoutes } from './cases.routes.js';
import { caseStatusesRoutes } from './case-statuses.routes.js';
import { messagesRoutes } from './messages.routes.js';
import { profilesRoutes } from './profiles.routes.js';
import { channelsRoutes } from './channels.routes.js';
import { appStreamRoutes } from './app-stream.routes.js';
import { channelWebhooksRoutes } from './channel-webhooks.routes.js';
import { webhooksRoutes } from './webhooks.routes.js';

/** Every route module, registered in this order by buildServer. */
export const ROUTE_MODULES: readonly RouteModule[] = [
  systemRoutes,
  oauthRoutes,
  adminRoutes,
  numbersRoutes,
  skillsRoutes,
  agentsRoutes,
  groupsRoutes,
  continuityRoutes,
  callsRoutes,
  simRoutes,
  callbacksRoutes,
  flowsRoutes,
  casesListRoutes,
  casesRoutes,
  caseStatusesRoutes,
  messagesRoutes,
  profilesRoutes,
  channelsRoutes,
  appStreamRoutes,
  channelWebhooksRoutes,
  webhooksRoutes,
];
