import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { poolStatusAppMeta } from '../app.js';
import { readPools } from '../read-model.js';
import { poolsSchema } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type ToolContext } from './context.js';

export function registerPoolStatus(
  server: McpServer,
  { hub, scrub, logger }: ToolContext,
  { withApp = false }: { withApp?: boolean } = {},
): void {
  server.registerTool(
    'pool_status',
    {
      title: 'Pool status',
      description:
        'Where the money stands: for every pool that can pay for Claude requests (plan allowance, trial budget, credits wallet, API key) ' +
        'its state, money left or share used, caps, amounts held by requests in flight, when limits reset, the auto-reload policy and its place in the route. ' +
        'Use it before starting expensive work, when the user asks how much is left, or after a request was refused for lack of funds. ' +
        'Pass poolId to look at one pool.',
      inputSchema: z.object({
        poolId: z.string().min(1).optional().describe('One pool id (e.g. "trial", "credits"); omit for every pool'),
      }),
      outputSchema: poolsSchema,
      annotations: { title: 'Pool status', ...READ_ONLY },
      // Hosts that render MCP Apps show the dashboard with the result; the others get the result alone.
      ...(withApp && { _meta: poolStatusAppMeta }),
    },
    ({ poolId }) => guarded('pool_status', scrub, logger, async () => jsonResult(await readPools(hub, poolId), scrub)),
  );
}
