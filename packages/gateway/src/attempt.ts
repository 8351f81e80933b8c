import { DrawdownError, ErrorCodes, type RequestLease, type RouteEntry, type SdkCredentials } from '@drawdown/core';

/** An upstream error answer whose body broke off before it could be read: nothing was billed. */
export class BrokenAnswer extends Error {
  constructor(
    readonly status: number,
    cause: unknown,
  ) {
    super(`the upstream's ${status} answer broke off`, { cause });
  }
}

/** The entry's credentials to forward; one with neither key nor token cannot be forwarded. */
export async function credentialsFor(entry: RouteEntry, lease?: RequestLease): Promise<SdkCredentials> {
  const credentials = lease ? await lease.credentials() : await entry.strategy.credentials();
  if (!credentials.apiKey && !credentials.authToken) {
    throw new DrawdownError(
      ErrorCodes.AUTH_UNAVAILABLE,
      `route entry "${entry.id}" has no credentials: its strategy "${entry.strategy.id}" gave neither an API key nor a token`,
      { data: { entryId: entry.id } },
    );
  }
  return credentials;
}
