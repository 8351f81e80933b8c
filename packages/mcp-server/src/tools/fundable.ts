import { fundablePool as findFundablePool, positiveUsd, type FundingSurface } from '@drawdown/core/internal';
import type { FundablePool, Hub, Nanos } from '@drawdown/core';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';

/** The write tools' errors, under this server's codes. */
export const mcpFunding: FundingSurface = {
  invalidArgument: McpErrorCodes.INVALID_ARGUMENT,
  notFundable: McpErrorCodes.NOT_FUNDABLE,
};

export const positiveUsdSchema = z
  .string()
  .trim()
  .regex(/^\$?\d{1,7}(\.\d{1,9})?$/, 'write a USD amount like "25" or "25.50"')
  .describe('USD amount as a decimal string, e.g. "25.00"');

export function parseUsd(value: string, field: string): Nanos {
  return positiveUsd(value, field, mcpFunding);
}

/** The named pool, if it can take funds; a tool error naming the fundable pools otherwise. */
export function fundablePool(hub: Hub, poolId: string): FundablePool {
  return findFundablePool(hub, poolId, mcpFunding);
}
