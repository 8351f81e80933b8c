import { DrawdownError, type Nanos } from '@drawdown/core';
import { BUCKET_WIDTHS, reconcile, reconcileJson, TOKEN_CATEGORIES, type ReportSource } from '@drawdown/core/reconcile';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpErrorCodes } from '../errors.js';
import { usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type ToolContext } from './context.js';

/** Where the `reconcile` tool reads Anthropic's usage report, and how strictly it compares. */
export interface ReconcileSettings {
  /** Anthropic API key id (`apikey_…`) of the key each pool draws on. */
  keys: Record<string, string>;
  /** Read at each call (a rotated key counts); never returned or logged. */
  adminKey: () => string | undefined;
  /** Named in the message when the key is missing. */
  adminKeyEnv: string;
  baseUrl?: string;
  toleranceNanos?: Nanos;
  reportingLagMs?: number;
  /** Which report to read; default `admin`. */
  source?: ReportSource;
}

const isoTime = z.string().describe('ISO 8601 instant');
const counts = z.object(Object.fromEntries(TOKEN_CATEGORIES.map((c) => [c, z.number().int()])));

const outputSchema = z.object({
  from: isoTime,
  to: isoTime,
  bucket: z.enum(['1m', '1h', '1d']),
  at: isoTime,
  reportingLagMs: z.number().int().describe('A bucket is final this long after it ends'),
  toleranceUsd: usdString.describe('Dollar drift per group that still counts as a match'),
  source: z.enum(['admin', 'analytics']).describe('The report that answered: Admin usage report or Analytics API'),
  pages: z.number().int().describe('Report pages read'),
  exceedsTolerance: z.boolean().describe('True when some group drifts beyond the tolerance'),
  sharedKeys: z
    .array(z.object({ apiKeyId: z.string(), pools: z.array(z.string()) }))
    .describe('Keys several pools draw on: matched per key, not per pool'),
  totals: z.object({
    groups: z.number().int(),
    match: z.number().int(),
    drift: z.number().int(),
    pending: z.number().int().describe('Groups in buckets Anthropic has not finished reporting'),
    driftUsd: usdString,
    chargedUsd: usdString.describe('What the ledger charged'),
    reportedPriceUsd: usdString.describe("Anthropic's token counts at the rate card"),
  }),
  groups: z.array(
    z.object({
      apiKeyId: z.string(),
      model: z.string(),
      bucketStart: isoTime,
      bucketEnd: isoTime,
      serviceTier: z.string(),
      inferenceGeo: z.string(),
      speed: z.string(),
      pools: z.array(z.string()),
      status: z.enum(['match', 'drift', 'not-reported-yet', 'not-final']),
      reason: z.string().optional(),
      ledger: counts,
      reported: counts,
      drift: z.array(
        z.object({
          category: z.enum(TOKEN_CATEGORIES),
          ledger: z.number().int(),
          reported: z.number().int(),
          tokens: z.number().int().describe('reported − ledger'),
          usd: usdString.optional().describe('The same difference at the rate card'),
        }),
      ),
      chargedUsd: usdString,
      reportedPriceUsd: usdString.optional(),
      driftUsd: usdString.optional(),
      requests: z.number().int(),
    }),
  ),
});

function instant(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new DrawdownError(
      McpErrorCodes.INVALID_ARGUMENT,
      `${field} "${value}" is not a time; write an ISO 8601 instant like "2026-12-01T09:00:00Z".`,
      { data: { field } },
    );
  return at;
}

export function registerReconcile(
  server: McpServer,
  { hub, scrub, logger }: ToolContext,
  settings: ReconcileSettings,
): void {
  server.registerTool(
    'reconcile',
    {
      title: 'Reconcile with Anthropic',
      description:
        "Checks the ledger against Anthropic's own usage report (Admin API) per API key, model and time bucket, and names every difference " +
        'per token category (uncached input, cache reads, 5-minute and 1-hour writes, output, web searches) in tokens and dollars. ' +
        'Buckets Anthropic has not reported yet are marked as such, not as drift. Use it when the user asks whether the ledger is right ' +
        'or why a bill differs from what drawdown shows. Default range: the last 24 hours in 1-hour buckets.',
      inputSchema: z.object({
        from: isoTime.optional().describe('Start, ISO 8601 (default: 24 hours before "to")'),
        to: isoTime.optional().describe('End, ISO 8601 (default: now)'),
        bucket: z
          .enum(BUCKET_WIDTHS as ['1m', '1h', '1d'])
          .default('1h')
          .describe('Bucket width'),
      }),
      outputSchema,
      // It reads Anthropic's API besides the ledger: read-only, but not a closed world.
      annotations: { title: 'Reconcile with Anthropic', ...READ_ONLY, openWorldHint: true },
    },
    (input) => {
      const adminKey = settings.adminKey();
      const scrubAll = (text: string): string =>
        adminKey !== undefined && adminKey.length >= 6 ? scrub(text).split(adminKey).join('[redacted]') : scrub(text);
      return guarded('reconcile', scrubAll, logger, async () => {
        if (adminKey === undefined || adminKey.trim() === '')
          throw new DrawdownError(
            McpErrorCodes.NOT_CONFIGURED,
            `${settings.adminKeyEnv} is not set where the drawdown MCP server runs; reading Anthropic's usage report needs an Admin key. Ask the user to export it and restart the server.`,
            { data: { field: settings.adminKeyEnv } },
          );
        const now = hub.clock.now();
        const to = instant(input.to, 'to', now);
        const from = instant(input.from, 'from', to - 86_400_000);
        const result = await reconcile({
          store: hub.store,
          rateCard: hub.rateCard,
          keys: settings.keys,
          adminKey,
          ...(settings.baseUrl !== undefined && { baseUrl: settings.baseUrl }),
          ...(settings.toleranceNanos !== undefined && { toleranceNanos: settings.toleranceNanos }),
          ...(settings.reportingLagMs !== undefined && { reportingLagMs: settings.reportingLagMs }),
          ...(settings.source !== undefined && { source: settings.source }),
          from,
          to,
          bucket: input.bucket,
          now,
        });
        return jsonResult(reconcileJson(result), scrubAll);
      });
    },
  );
}
