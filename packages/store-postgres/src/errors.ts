import { DrawdownError, ErrorCodes } from '@drawdown/core';

/**
 * Turns a PostgreSQL or connection failure into DRAWDOWN_STORE_UNAVAILABLE: the request fails
 * closed (its transaction rolled back, nothing half-written) with a message that says what to do.
 * Never includes the connection string, which may carry a password.
 */
export function storeError(error: unknown, schema: string, doing: string): DrawdownError {
  if (error instanceof DrawdownError) return error;
  const e = error as { code?: string; message?: string } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const data = { store: 'postgres', schema, ...(code !== undefined && { pgCode: code }) };
  const fail = (message: string): DrawdownError =>
    new DrawdownError(ErrorCodes.STORE_UNAVAILABLE, message, { data, cause: error });
  const at = `the drawdown ledger in PostgreSQL schema "${schema}"`;
  if (code === '53100')
    return fail(
      `${at} cannot grow: the database server's disk is full, so ${doing} was refused and nothing was recorded. Free disk space on the server and retry.`,
    );
  if (code === '25006')
    return fail(
      `${at} is on a read-only server or transaction, so ${doing} was refused and nothing was recorded. Connect to the primary.`,
    );
  if (code === '42501')
    return fail(
      `${at} refused ${doing}: the database user lacks privileges (42501). Grant it usage and write access on the schema.`,
    );
  if (code === '3D000' || code === '28000' || code === '28P01')
    return fail(
      `${at} cannot be opened: ${e?.message ?? code} (${code}). Nothing was created; fix the database or user the connection string names.`,
    );
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code?.startsWith('08') ||
    code?.startsWith('57P')
  ) {
    return fail(
      `${at} is unreachable (${code}) while ${doing}; nothing was recorded. Check that PostgreSQL is running and the connection string is right.`,
    );
  }
  return fail(`${at} failed while ${doing}: ${e?.message ?? String(error)}. Nothing was recorded; retry.`);
}
