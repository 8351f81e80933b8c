import { randomUUID } from 'node:crypto';
import { toDecimalString } from '@drawdown/core';
import { addFundsQuestion } from '@drawdown/core/internal';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { readPools } from '../read-model.js';
import { poolSchema, usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { confirmWithUser } from './confirm.js';
import type { ToolContext } from './context.js';
import { fundablePool, parseUsd, positiveUsdSchema } from './fundable.js';

const outputSchema = z.object({
  poolId: z.string(),
  status: z.enum(['succeeded', 'requires_action', 'failed']),
  amountUsd: usdString,
  grantId: z.string().optional(),
  message: z.string(),
  pool: poolSchema,
});
/** What the tool returns as structured content (tests read it typed). */
export type AddFundsOutput = z.infer<typeof outputSchema>;

export function registerAddFunds(server: McpServer, { hub, scrub, logger }: ToolContext): void {
  server.registerTool(
    'add_funds',
    {
      title: 'Add funds',
      description:
        "Buys credits: charges the configured payment method and adds the amount to a credits pool. Spends the user's money, so the user is asked to confirm first. " +
        'Use it only when the user explicitly asks to add funds; check pool_status first to see the balance.',
      inputSchema: z.object({
        poolId: z.string().min(1).describe('The credits pool, e.g. "credits"'),
        amountUsd: positiveUsdSchema,
        note: z.string().max(200).optional().describe('Why, for the ledger'),
        idempotencyKey: z
          .string()
          .min(8)
          .max(200)
          .optional()
          .describe('Repeat a call with the same key and it is charged once'),
      }),
      outputSchema,
      annotations: {
        title: 'Add funds',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    (input, ctx) =>
      guarded('add_funds', scrub, logger, async () => {
        const pool = fundablePool(hub, input.poolId);
        const amount = parseUsd(input.amountUsd, 'amountUsd');
        const before = await pool.status();
        const confirmation = confirmWithUser(server, ctx, addFundsQuestion(pool, amount, before.summary));
        if (confirmation !== true) return confirmation;
        const result = await pool.addFunds({
          amount,
          idempotencyKey: input.idempotencyKey ?? `mcp:${randomUUID()}`,
          ...(input.note !== undefined && { note: input.note }),
        });
        const { pools } = await readPools(hub, pool.id);
        return jsonResult(
          {
            poolId: pool.id,
            status: result.status,
            amountUsd: toDecimalString(result.amount),
            ...(result.grantId !== undefined && { grantId: result.grantId }),
            message: result.message,
            pool: pools[0]!,
          },
          scrub,
        );
      }),
  );
}
