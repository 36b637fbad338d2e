import { DomainError, invalid, notFound } from '../../kernel/errors.js';

export const messageNotFound = (): DomainError => notFound('message');
export const profileNotFound = (): DomainError => notFound('profile');
export const channelNotConfigured = (channel: string): DomainError => new DomainError('not_found', `${channel} is not configured for this account`);

export const appMessagingNeedsNoProvider = (): DomainError =>
  invalid([{ name: 'channel', description: 'appMessaging needs no provider: it is always configured' }]);

export const expiresInThePast = (): DomainError => invalid([{ name: 'expiresOn', description: 'must be in the future' }]);

export const undialablePhone = (field: string): DomainError => invalid([{ name: field, description: 'is not a phone number that can be reached' }]);
