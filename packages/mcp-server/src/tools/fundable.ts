import { DrawdownError, isFundablePool, usd, type FundablePool, type Hub, type Nanos } from '@drawdown/core';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';

export const positiveUsd = z
  .string()
  .trim()
  .regex(/^\$?\d{1,7}(\.\d{1,9})?$/, 'write a USD amount like "25" or "25.50"')
  .describe('USD amount as a decimal string, e.g. "25.00"');

export function parseUsd(value: string, field: string): Nanos {
  const nanos = usd(value);
  if (nanos <= 0)
    throw new DrawdownError(McpErrorCodes.INVALID_ARGUMENT, `${field} must be more than zero; got "${value}".`, {
      data: { field },
    });
  return nanos;
}

/** The named pool, if it can take funds; a tool error naming the fundable pools otherwise. */
export function fundablePool(hub: Hub, poolId: string): FundablePool {
  const pool = hub.pool(poolId);
  if (isFundablePool(pool)) return pool;
  const fundable = hub
    .pools()
    .filter(isFundablePool)
    .map((p) => `"${p.id}"`);
  throw new DrawdownError(
    McpErrorCodes.NOT_FUNDABLE,
    `pool "${poolId}" (${pool.kind}) cannot take funds or an auto-reload policy; ${fundable.length > 0 ? `fundable pools: ${fundable.join(', ')}` : 'no pool of this hub can'}.`,
    { data: { poolId } },
  );
}
