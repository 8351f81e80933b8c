import { DrawdownError, localDate, toDecimalString, type ReportRow } from '@drawdown/core';
import { reportTotals } from '@drawdown/core/internal';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';
import { usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type ToolContext } from './context.js';

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'write dates as YYYY-MM-DD');

const counts = {
  costUsd: usdString,
  requests: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
};

const outputSchema = z.object({
  from: date,
  to: date,
  timeZone: z.string(),
  groupBy: z.array(z.enum(['day', 'model', 'pool', 'route'])),
  rows: z.array(
    z.object({
      day: z.string().optional(),
      model: z.string().optional(),
      pool: z.string().optional(),
      route: z.string().optional(),
      ...counts,
    }),
  ),
  totals: z.object(counts),
});
/** What the tool returns as structured content (tests read it typed). */
export type UsageReportOutput = z.infer<typeof outputSchema>;

function parseDay(value: string, field: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new DrawdownError(
      McpErrorCodes.INVALID_ARGUMENT,
      `${field} "${value}" is not a calendar date; write it as YYYY-MM-DD, e.g. "2026-11-01".`,
      { data: { field } },
    );
  }
  return ms;
}

const rowCounts = (
  row: Pick<ReportRow, 'cost' | 'requests' | 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>,
) => ({
  costUsd: toDecimalString(row.cost),
  requests: row.requests,
  inputTokens: row.inputTokens,
  outputTokens: row.outputTokens,
  cacheReadTokens: row.cacheReadTokens,
  cacheWriteTokens: row.cacheWriteTokens,
});

export function registerUsageReport(server: McpServer, { hub, scrub, logger }: ToolContext): void {
  server.registerTool(
    'usage_report',
    {
      title: 'Usage report',
      description:
        'What was spent: settled cost (exact USD) and tokens of Claude requests between two dates, grouped by day, model, pool or route entry, with totals. ' +
        'Use it when the user asks what they spent, which model or pool cost the most, or how usage trends over days. ' +
        'Dates are local dates in the hub time zone, both inclusive; the default range is the current month to today.',
      inputSchema: z.object({
        from: date.optional().describe('First day, YYYY-MM-DD (default: first day of this month)'),
        to: date.optional().describe('Last day, YYYY-MM-DD, inclusive (default: today)'),
        groupBy: z
          .array(z.enum(['day', 'model', 'pool', 'route']))
          .max(4)
          .default(['day'])
          .describe('Dimensions to group by, in order'),
        poolIds: z.array(z.string().min(1)).optional().describe('Only these pools'),
      }),
      outputSchema,
      annotations: { title: 'Usage report', ...READ_ONLY },
    },
    (input) =>
      guarded('usage_report', scrub, logger, async () => {
        const today = localDate(hub.clock.now(), hub.timeZone);
        const to = input.to ?? today;
        const from = input.from ?? `${to.slice(0, 7)}-01`;
        const span = (parseDay(to, 'to') - parseDay(from, 'from')) / DAY_MS;
        if (span < 0)
          throw new DrawdownError(
            McpErrorCodes.INVALID_ARGUMENT,
            `the range ends (${to}) before it starts (${from}); swap from and to.`,
            { data: { field: 'to' } },
          );
        if (span >= MAX_RANGE_DAYS)
          throw new DrawdownError(
            McpErrorCodes.INVALID_ARGUMENT,
            `the range covers ${span + 1} days; ask for at most ${MAX_RANGE_DAYS} at a time.`,
            { data: { field: 'from' } },
          );
        for (const id of input.poolIds ?? []) hub.pool(id);
        const groupBy = [...new Set(input.groupBy)];
        const rows = await hub.report({
          fromDay: from,
          toDay: to,
          groupBy,
          ...(input.poolIds && { accounts: input.poolIds }),
        });
        const totals = reportTotals(rows);
        return jsonResult(
          {
            from,
            to,
            timeZone: hub.timeZone,
            groupBy,
            rows: rows.map((row) => ({
              ...(row.day !== undefined && { day: row.day }),
              ...(row.model !== undefined && { model: row.model }),
              ...(row.pool !== undefined && { pool: row.pool }),
              ...(row.route !== undefined && { route: row.route }),
              ...rowCounts(row),
            })),
            totals: rowCounts(totals),
          },
          scrub,
        );
      }),
  );
}
