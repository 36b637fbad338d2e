/** RFC 6749 §5.2 error codes: the token endpoint answers in that shape, not problem+json. */
export type OAuthErrorCode =
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'invalid_request';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** Seconds after which trying again can succeed (`Retry-After`), when that is known. */
    readonly retryAfterS?: number,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  /** invalid_client is 401 (with a Basic challenge); every other code is 400. */
  get status(): 400 | 401 {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}
