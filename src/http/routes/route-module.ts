import type { App } from '../types.js';
import type { AppServices } from '../services.js';

export type RouteModule = (app: App, services: AppServices) => void;
