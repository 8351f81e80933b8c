import { Command } from 'commander';
import { isDrawdownError } from '@drawdown/core';
import {
  BUCKET_WIDTHS,
  reconcile,
  ReconcileErrorCodes,
  reconcileJson,
  REPORT_SOURCES,
  type BucketWidth,
  type ReportSource,
} from '@drawdown/core/reconcile';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { DEFAULT_ADMIN_KEY_ENV, reconcileSettings } from '../config/reconcile.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import type { CliContext } from '../context.js';
import { withProgress } from '../render/progress.js';
import { renderReconcile } from '../render/reconcile.js';
import { isZeroConfig, loadFor, withLoadedHub } from '../session.js';

const AGO = /^(\d+)([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `2026-12-01`, `2026-12-01T09:00Z` or a span ago (`90m`, `6h`, `2d`), as epoch ms. */
function parseTime(value: string, flag: string, now: number): number {
  const ago = AGO.exec(value);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS];
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      `${flag} "${value}" is not a time`,
      `Write a UTC date (2026-12-01), an RFC 3339 time (2026-12-01T09:00Z) or a span ago (6h, 2d).`,
      { argument: flag.slice(2) },
    );
  return at;
}

/** What to do about each way the usage report can fail. */
const HINTS: Record<string, string> = {
  [ReconcileErrorCodes.RATE_LIMITED]:
    'Wait as long as the message says, or ask for fewer buckets (--bucket 1d, a shorter range).',
  [ReconcileErrorCodes.UPSTREAM_FAILED]:
    'Check that the Admin key belongs to the organization of the API keys in reconcile.keys, then retry.',
  [ReconcileErrorCodes.UNREADABLE]: 'Check reconcile.baseUrl and the network, then retry.',
};

export function reconcileCommand(ctx: CliContext): Command {
  return new Command('reconcile')
    .description("compare the ledger with Anthropic's usage report per API key, model and bucket; name every drift")
    .option('--from <time>', 'start: UTC date, RFC 3339 time or a span ago like 6h (default: 24h)')
    .option('--to <time>', 'end, same forms (default: now)')
    .option('--bucket <width>', 'bucket width: 1m, 1h or 1d', '1h')
    .option('--source <report>', 'admin, analytics (beta) or auto (default: config, else admin)')
    .option('--all', 'list matching groups too, not only drift and unreported buckets')
    .option(...EXACT_FLAG)
    .option('--json', 'print JSON with exact decimal strings')
    .action(
      async (
        options: {
          from?: string;
          to?: string;
          bucket: string;
          source?: string;
          all?: boolean;
          exact?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        if (!BUCKET_WIDTHS.includes(options.bucket as BucketWidth))
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            `--bucket "${options.bucket}" is not a bucket width`,
            'Use 1m, 1h or 1d.',
            { argument: 'bucket' },
          );
        if (options.source !== undefined && !REPORT_SOURCES.includes(options.source as ReportSource))
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            `--source "${options.source}" is not a report`,
            'Use admin, analytics or auto.',
            { argument: 'source' },
          );
        const loaded = await loadFor(ctx, command);
        const settings = loaded.config.reconcile;
        if (isZeroConfig(loaded) || settings === undefined)
          throw cliError(
            CliErrorCodes.INVALID_CONFIG,
            'no "reconcile" section in the configuration',
            `Add "reconcile": {"keys": {"<pool>": "apikey_…"}} (the key ids the Console lists) and export ${DEFAULT_ADMIN_KEY_ENV}.`,
          );
        const resolved = reconcileSettings(settings, ctx.env)!;
        const adminKey = resolved.adminKey();
        if (adminKey === undefined || adminKey.trim() === '')
          throw cliError(
            CliErrorCodes.UNAVAILABLE,
            `${resolved.adminKeyEnv} is not set: reading Anthropic's usage report needs an Admin key`,
            `Export ${resolved.adminKeyEnv}=sk-ant-admin… (Console → Settings → Admin keys; organizations only).`,
            { envVar: resolved.adminKeyEnv },
          );
        await withLoadedHub(ctx, loaded, async (hub) => {
          const now = hub.clock.now();
          const to = options.to !== undefined ? parseTime(options.to, '--to', now) : now;
          const from = options.from !== undefined ? parseTime(options.from, '--from', now) : to - 86_400_000;
          try {
            const result = await withProgress(ctx.term, "reading Anthropic's usage report", () =>
              reconcile({
                store: hub.store,
                rateCard: hub.rateCard,
                keys: resolved.keys,
                adminKey,
                ...(resolved.baseUrl !== undefined && { baseUrl: resolved.baseUrl }),
                from,
                to,
                bucket: options.bucket as BucketWidth,
                now,
                ...(resolved.reportingLagMs !== undefined && { reportingLagMs: resolved.reportingLagMs }),
                ...(resolved.toleranceNanos !== undefined && { toleranceNanos: resolved.toleranceNanos }),
                source: (options.source as ReportSource | undefined) ?? resolved.source ?? 'admin',
              }),
            );
            ctx.term.out(
              options.json
                ? JSON.stringify(reconcileJson(result), null, 2)
                : renderReconcile(result, { ...ctx.term, usd: displayOf(options) }, { all: options.all === true }),
            );
            if (result.exceedsTolerance) ctx.exitCode = 1;
          } catch (error) {
            if (isDrawdownError(error) && HINTS[error.code] !== undefined)
              throw cliError(error.code, error.message, HINTS[error.code]!, { ...error.data }, error);
            throw error;
          }
        });
      },
    );
}
