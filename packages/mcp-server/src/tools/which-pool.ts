import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { requireRouter } from '../read-model.js';
import { routeSchema } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { routeView } from '../views.js';
import { READ_ONLY, type ToolContext } from './context.js';

export function registerWhichPool(server: McpServer, { hub, scrub, logger }: ToolContext): void {
  server.registerTool(
    'which_pool',
    {
      title: 'Which pool pays next',
      description:
        'Which pool the next Claude request will draw from and why, what state every route entry is in (next, standby, exhausted, used up, waiting for opt-in), ' +
        'and what happens when the paying pool runs out. Use it when the user asks who pays, why a request went to credits instead of the plan, or why requests are refused.',
      inputSchema: z.object({}),
      outputSchema: routeSchema,
      annotations: { title: 'Which pool pays next', ...READ_ONLY },
    },
    () =>
      guarded('which_pool', scrub, logger, async () =>
        jsonResult(routeView(await requireRouter(hub).explain()), scrub),
      ),
  );
}
