import { autoReloadPolicy, autoReloadQuestion } from '@drawdown/core/internal';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { readPools } from '../read-model.js';
import { autoReloadSchema, poolSchema } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { autoReloadView } from '../views.js';
import { confirmWithUser } from './confirm.js';
import type { ToolContext } from './context.js';
import { fundablePool, mcpFunding, positiveUsdSchema } from './fundable.js';

const outputSchema = z.object({ poolId: z.string(), autoReload: autoReloadSchema.nullable(), pool: poolSchema });
/** What the tool returns as structured content (tests read it typed). */
export type SetAutoReloadOutput = z.infer<typeof outputSchema>;

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
        thresholdUsd: positiveUsdSchema.optional().describe('Reload when the balance falls below this'),
        amountUsd: positiveUsdSchema.optional().describe('Buy exactly this much per reload'),
        targetBalanceUsd: positiveUsdSchema.optional().describe('Or top the balance up to this'),
        monthlyLimitUsd: positiveUsdSchema.optional().describe('At most this much reloaded per calendar month'),
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
        const policy = autoReloadPolicy(
          {
            enabled: input.enabled,
            threshold: input.thresholdUsd,
            amount: input.amountUsd,
            targetBalance: input.targetBalanceUsd,
            monthlyLimit: input.monthlyLimitUsd,
          },
          {
            threshold: 'thresholdUsd',
            amount: 'amountUsd',
            targetBalance: 'targetBalanceUsd',
            monthlyLimit: 'monthlyLimitUsd',
          },
          mcpFunding,
        );
        const confirmation = confirmWithUser(server, ctx, autoReloadQuestion(pool.id, policy));
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
