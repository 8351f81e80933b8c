import { DrawdownError, formatUsd, type AutoReloadPolicy } from '@drawdown/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';
import { readPools } from '../read-model.js';
import { autoReloadSchema, poolSchema } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { autoReloadView } from '../views.js';
import { confirmWithUser } from './confirm.js';
import type { ToolContext } from './context.js';
import { fundablePool, parseUsd, positiveUsd } from './fundable.js';

const outputSchema = z.object({ poolId: z.string(), autoReload: autoReloadSchema.nullable(), pool: poolSchema });
/** What the tool returns as structured content (tests read it typed). */
export type SetAutoReloadOutput = z.infer<typeof outputSchema>;

interface Input {
  enabled: boolean;
  thresholdUsd?: string | undefined;
  amountUsd?: string | undefined;
  targetBalanceUsd?: string | undefined;
  monthlyLimitUsd?: string | undefined;
}

function policyFrom(input: Input): AutoReloadPolicy | null {
  if (!input.enabled) return null;
  const missing = (problem: string) =>
    new DrawdownError(McpErrorCodes.INVALID_ARGUMENT, problem, { data: { field: 'amountUsd' } });
  if (input.thresholdUsd === undefined)
    throw missing('turning auto-reload on needs thresholdUsd: reload when the balance falls below it.');
  if ((input.amountUsd === undefined) === (input.targetBalanceUsd === undefined)) {
    throw missing(
      'give exactly one of amountUsd (buy this much per reload) or targetBalanceUsd (top the balance up to this).',
    );
  }
  const policy: AutoReloadPolicy = {
    threshold: parseUsd(input.thresholdUsd, 'thresholdUsd'),
    ...(input.amountUsd !== undefined && { amount: parseUsd(input.amountUsd, 'amountUsd') }),
    ...(input.targetBalanceUsd !== undefined && {
      targetBalance: parseUsd(input.targetBalanceUsd, 'targetBalanceUsd'),
    }),
    ...(input.monthlyLimitUsd !== undefined && { monthlyLimit: parseUsd(input.monthlyLimitUsd, 'monthlyLimitUsd') }),
  };
  if (policy.targetBalance !== undefined && policy.targetBalance <= policy.threshold) {
    throw new DrawdownError(
      McpErrorCodes.INVALID_ARGUMENT,
      'targetBalanceUsd must be above thresholdUsd, or a reload would not lift the balance over the trigger.',
      { data: { field: 'targetBalanceUsd' } },
    );
  }
  return policy;
}

function describe(poolId: string, policy: AutoReloadPolicy | null): string {
  if (!policy) return `Turn auto-reload off for "${poolId}"? Requests are refused once its balance runs out.`;
  const what =
    policy.amount !== undefined ? `buy ${formatUsd(policy.amount)}` : `top up to ${formatUsd(policy.targetBalance!)}`;
  const cap =
    policy.monthlyLimit !== undefined
      ? `, at most ${formatUsd(policy.monthlyLimit)} a month`
      : ', with no monthly limit';
  return `Turn auto-reload on for "${poolId}": when the balance falls below ${formatUsd(policy.threshold)}, ${what} from your payment method${cap}?`;
}

export function registerSetAutoReload(server: McpServer, { hub, scrub, logger }: ToolContext): void {
  server.registerTool(
    'set_auto_reload',
    {
      title: 'Set auto-reload',
      description:
        'Turns automatic top-ups of a credits pool on (threshold plus a fixed amount or a target balance, optional monthly limit) or off. ' +
        "Future reloads charge the user's payment method, so the user is asked to confirm first. Use it only when the user asks to change auto-reload.",
      inputSchema: z.object({
        poolId: z.string().min(1).describe('The credits pool, e.g. "credits"'),
        enabled: z.boolean().describe('false turns auto-reload off (other fields are ignored)'),
        thresholdUsd: positiveUsd.optional().describe('Reload when the balance falls below this'),
        amountUsd: positiveUsd.optional().describe('Buy exactly this much per reload'),
        targetBalanceUsd: positiveUsd.optional().describe('Or top the balance up to this'),
        monthlyLimitUsd: positiveUsd.optional().describe('At most this much reloaded per calendar month'),
      }),
      outputSchema,
      annotations: {
        title: 'Set auto-reload',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (input, ctx) =>
      guarded('set_auto_reload', scrub, logger, async () => {
        const pool = fundablePool(hub, input.poolId);
        const policy = policyFrom(input);
        const confirmation = confirmWithUser(server, ctx, describe(pool.id, policy));
        if (confirmation !== true) return confirmation;
        await pool.setAutoReload(policy);
        const { pools } = await readPools(hub, pool.id);
        return jsonResult(
          { poolId: pool.id, autoReload: autoReloadView({ autoReload: policy }) ?? null, pool: pools[0]! },
          scrub,
        );
      }),
  );
}
