/**
 * Error codes raised by @drawdown/plugin-oauth. Every error is a `DrawdownError` from core; `data`
 * never carries a token. Server errors keep the authorization server's RFC 6749 code in
 * `data.error` (`invalid_grant`, `access_denied`, ...).
 */
export const OAuthErrorCodes = {
  /** No tokens are stored for this client: nobody signed in yet, or the user signed out. */
  NOT_SIGNED_IN: 'DRAWDOWN_OAUTH_NOT_SIGNED_IN',
  /** The refresh token was refused (expired or revoked); the user must sign in again. */
  SIGN_IN_EXPIRED: 'DRAWDOWN_OAUTH_SIGN_IN_EXPIRED',
  /** The authorization server answered the authorization request with an error (`access_denied`...). */
  AUTHORIZATION_DENIED: 'DRAWDOWN_OAUTH_AUTHORIZATION_DENIED',
  /** The redirect carried a `state` other than the one this login sent: refused as a possible forgery. */
  STATE_MISMATCH: 'DRAWDOWN_OAUTH_STATE_MISMATCH',
  /** The token endpoint refused a request (code exchange or refresh) with an RFC 6749 error. */
  TOKEN_REQUEST_FAILED: 'DRAWDOWN_OAUTH_TOKEN_REQUEST_FAILED',
  /** The authorization server's metadata could not be fetched or is not usable. */
  DISCOVERY_FAILED: 'DRAWDOWN_OAUTH_DISCOVERY_FAILED',
  /** The authorization server could not be reached or answered something that is not OAuth. */
  SERVER_UNREACHABLE: 'DRAWDOWN_OAUTH_SERVER_UNREACHABLE',
  /** Nobody completed the sign-in in the browser before the login timed out. */
  LOGIN_TIMEOUT: 'DRAWDOWN_OAUTH_LOGIN_TIMEOUT',
  /** What was pasted is not a redirect URL (or `code#state`) from this login. */
  INVALID_PASTE: 'DRAWDOWN_OAUTH_INVALID_PASTE',
  /** Another process held the token store lock for too long. */
  LOCK_TIMEOUT: 'DRAWDOWN_OAUTH_LOCK_TIMEOUT',
  /** The token file exists but is not a token file drawdown wrote. */
  TOKEN_FILE_INVALID: 'DRAWDOWN_OAUTH_TOKEN_FILE_INVALID',
} as const;

export type OAuthErrorCode = (typeof OAuthErrorCodes)[keyof typeof OAuthErrorCodes];
