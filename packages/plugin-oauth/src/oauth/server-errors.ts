import { DrawdownError, isDrawdownError } from '@drawdown/core';
import { AuthorizationResponseError, ResponseBodyError, WWWAuthenticateChallengeError } from 'oauth4webapi';
import { OAuthErrorCodes } from '../errors.js';

export type OAuthStep = 'discovery' | 'authorization' | 'code exchange' | 'refresh' | 'revocation';

/** What `data` carries for an error the authorization server reported (never a token). */
export type ServerErrorData = {
  issuer: string;
  step: OAuthStep;
  /** The RFC 6749 error code: `invalid_grant`, `access_denied`, `invalid_client`... */
  error?: string;
  errorDescription?: string;
  /** HTTP status of the server's reply, when there was one. */
  status?: number;
  /** What went wrong when no RFC error was given (network failure, malformed reply). */
  reason?: string;
};

declare module '@drawdown/core' {
  interface DrawdownErrorData {
    DRAWDOWN_OAUTH_AUTHORIZATION_DENIED: ServerErrorData;
    DRAWDOWN_OAUTH_TOKEN_REQUEST_FAILED: ServerErrorData;
    DRAWDOWN_OAUTH_DISCOVERY_FAILED: ServerErrorData;
    DRAWDOWN_OAUTH_SERVER_UNREACHABLE: ServerErrorData;
  }
}

const hints: Record<string, string> = {
  access_denied: 'Run the login again and approve access.',
  invalid_grant: 'Sign in again.',
  invalid_client: 'Check the clientId (and clientSecret) registered with the authorization server.',
  unauthorized_client: 'The client is not allowed this grant; check its registration at the authorization server.',
  invalid_scope: 'Ask for scopes the authorization server offers (option "scopes").',
};

/**
 * Turns what oauth4webapi throws into a coded DrawdownError. oauth4webapi errors are never kept as
 * `cause`: their `cause` may hold the server's reply, and a reply can hold tokens.
 */
export function fromServerError(error: unknown, issuer: string, step: OAuthStep): DrawdownError {
  if (isDrawdownError(error)) return error;
  const base = { issuer, step };
  if (error instanceof AuthorizationResponseError) {
    const data: ServerErrorData = {
      ...base,
      error: error.error,
      ...(error.error_description !== undefined && { errorDescription: error.error_description }),
    };
    return new DrawdownError(
      OAuthErrorCodes.AUTHORIZATION_DENIED,
      `sign-in at ${issuer} ended with ${describe(data)}. ${hints[error.error] ?? 'Run the login again.'}`,
      { data },
    );
  }
  if (error instanceof ResponseBodyError || error instanceof WWWAuthenticateChallengeError) {
    const rfc =
      error instanceof ResponseBodyError ? error.error : (error.cause[0]?.parameters.error ?? 'invalid_token');
    const description =
      error instanceof ResponseBodyError ? error.error_description : error.cause[0]?.parameters.error_description;
    const data: ServerErrorData = {
      ...base,
      error: rfc,
      status: error.status,
      ...(description !== undefined && { errorDescription: description }),
    };
    return new DrawdownError(
      OAuthErrorCodes.TOKEN_REQUEST_FAILED,
      `the authorization server ${issuer} refused the ${step}: ${describe(data)}. ${hints[rfc] ?? 'Try signing in again.'}`,
      { data },
    );
  }
  const reason = reasonOf(error);
  const code = step === 'discovery' ? OAuthErrorCodes.DISCOVERY_FAILED : OAuthErrorCodes.SERVER_UNREACHABLE;
  const what =
    step === 'discovery'
      ? `could not read the authorization server metadata of ${issuer}`
      : `the ${step} at ${issuer} failed`;
  return new DrawdownError(
    code,
    `${what}: ${reason}. Check that the issuer URL is right and the server is reachable.`,
    { data: { ...base, reason } satisfies ServerErrorData },
  );
}

function describe(data: ServerErrorData): string {
  return data.errorDescription ? `${data.error} (${data.errorDescription})` : String(data.error);
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: unknown } }).cause;
  // fetch() reports the socket error (ECONNREFUSED...) as its cause.
  return error.message === 'fetch failed' && typeof cause?.code === 'string'
    ? `${error.message} (${cause.code})`
    : error.message;
}
