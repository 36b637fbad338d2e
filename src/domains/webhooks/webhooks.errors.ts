import { notFound, type DomainError } from '../../kernel/errors.js';

export const webhookNotFound = (): DomainError => notFound('webhook');
