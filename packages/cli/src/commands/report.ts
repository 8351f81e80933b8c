import { Command, Option } from 'commander';
import { localDate, toDecimalString, type ReportDimension } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { keyReportCsv, keyReportJson, renderKeyReport } from '../render/key-report.js';
import { dayRangeFlags, wholeNumberFlag } from '../flags.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import { renderReport, reportCsv, reportJson, type ReportView } from '../render/report.js';
import { fitText } from '../render/status.js';
import { withProgress } from '../render/progress.js';
import { isZeroConfig, loadFor, withLoadedHub } from '../session.js';
import type { ClaudeCodeUsage } from '@drawdown/core/claude-logs';
import { claudeUsageJson, localTimeZone, readObserved, renderObserved } from '../zero-config/index.js';

const dimensions: ReportDimension[] = ['day', 'model', 'pool', 'route'];

/** `--by`: ledger dimensions, or `key` alone (spend per gateway key, read from the keys' limit accounts). */
function parseBy(value: string): ReportDimension[] | 'key' {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.includes('key')) {
    if (parts.some((p) => p !== 'key'))
      throw cliError(
        CliErrorCodes.INVALID_ARGUMENT,
        `--by "${value}" mixes key with other dimensions`,
        'Use --by key alone: a key splits the total, not a day, model, pool or route.',
        { argument: 'by' },
      );
    return 'key';
  }
  for (const part of parts) {
    if (!dimensions.includes(part as ReportDimension)) {
      throw cliError(
        CliErrorCodes.INVALID_ARGUMENT,
        `--by "${part}" is not a report dimension`,
        `Use one or more of ${dimensions.join(', ')}, e.g. --by day or --by pool,model; or --by key.`,
        { argument: 'by' },
      );
    }
  }
  return [...new Set(parts)] as ReportDimension[];
}

export function reportCommand(ctx: CliContext): Command {
  return new Command('report')
    .description('spend and tokens by day, model, pool, route or gateway key over a range')
    .option('--by <dimensions>', 'day, model, pool or route (comma-separated), or key', 'day')
    .option('--from <date>', 'first local date, YYYY-MM-DD (default: --days before --to)')
    .option('--to <date>', 'last local date, YYYY-MM-DD (default: today in the configured time zone)')
    .option('--days <n>', 'length of the range when --from is not given', '7')
    .option('--pool <id...>', 'only these pools')
    .option(...EXACT_FLAG)
    .addOption(new Option('--json', 'print JSON with exact decimal strings').conflicts('csv'))
    .option('--csv', 'print CSV (one row per group, cost as an exact decimal)')
    .action(
      async (
        options: {
          by: string;
          from?: string;
          to?: string;
          days: string;
          pool?: string[];
          exact?: boolean;
          json?: boolean;
          csv?: boolean;
        },
        command: Command,
      ) => {
        const view = { ...ctx.term, usd: displayOf(options) };
        const groupBy = parseBy(options.by);
        const days = wholeNumberFlag('days', options.days, { min: 1, max: 3660 }, '30');
        const loaded = await loadFor(ctx, command);
        // Without a configuration or a ledger, the report is Claude Code's own spend from its session logs.
        if (isZeroConfig(loaded) && !ctx.env.DRAWDOWN_DB) {
          const unsupported = groupBy === 'key' ? 'key' : groupBy.find((d) => d !== 'day' && d !== 'model');
          if (unsupported !== undefined || options.pool) {
            throw cliError(
              CliErrorCodes.UNAVAILABLE,
              `--${options.pool ? 'pool' : `by ${unsupported}`} needs pools, and no drawdown configuration was found`,
              'Without a configuration the report shows Claude Code by day and model; create pools with "drawdown config init".',
              { argument: options.pool ? 'pool' : 'by' },
            );
          }
          const timeZone = localTimeZone(ctx.env);
          const range = { ...dayRangeFlags(options, localDate(Date.now(), timeZone), days), timeZone };
          const usage = await readObserved(ctx.env, range);
          if (options.json)
            ctx.term.out(JSON.stringify({ mode: 'zero-config', ...claudeUsageJson(usage, range) }, null, 2));
          else if (options.csv) ctx.term.out(claudeUsageCsv(usage));
          else
            ctx.term.out(
              `${renderObserved(usage, range, view)}\n${fitText('(no drawdown configuration: "drawdown config init" adds pools)', ctx.term)}`,
            );
          return;
        }
        await withLoadedHub(
          ctx,
          loaded,
          async (hub) => {
            const { fromDay, toDay } = dayRangeFlags(options, localDate(hub.clock.now(), hub.timeZone), days);
            if (groupBy === 'key') {
              if (options.pool)
                throw cliError(
                  CliErrorCodes.INVALID_ARGUMENT,
                  '--pool does not apply to --by key',
                  'A key draws from the pools of its route; leave --pool out.',
                  { argument: 'pool' },
                );
              // The gateway (and what it loads) only when keys are asked for.
              const { keySpendReport } = await import('@drawdown/gateway');
              const report = await withProgress(ctx.term, `adding up key spend from ${fromDay} to ${toDay}`, () =>
                keySpendReport(hub, { fromDay, toDay }),
              );
              ctx.term.out(
                options.json
                  ? JSON.stringify(keyReportJson(report), null, 2)
                  : options.csv
                    ? keyReportCsv(report)
                    : renderKeyReport(report, ctx.term, displayOf(options)),
              );
              return;
            }
            const rows = await withProgress(ctx.term, `adding up spend from ${fromDay} to ${toDay}`, () =>
              hub.report({ fromDay, toDay, groupBy, ...(options.pool && { accounts: options.pool }) }),
            );
            const report: ReportView = { fromDay, toDay, groupBy, timeZone: hub.timeZone, rows };
            // Claude Code's own spend stays in view beside the metered pools (not in the CSV, which is one table).
            const range = { fromDay, toDay, timeZone: hub.timeZone };
            const observed = options.csv || options.pool ? undefined : await readObserved(ctx.env, range, hub.store);
            if (options.json)
              ctx.term.out(
                JSON.stringify(
                  {
                    ...(reportJson(report) as object),
                    ...(observed && { observed: claudeUsageJson(observed, range) }),
                  },
                  null,
                  2,
                ),
              );
            else if (options.csv) ctx.term.out(reportCsv(report));
            else
              ctx.term.out(
                `${renderReport(report, ctx.term, view.usd)}${observed && observed.files > 0 ? `\n\n${renderObserved(observed, range, view)}` : ''}`,
              );
          },
          { ledgerOnly: isZeroConfig(loaded) },
        );
      },
    );
}

function claudeUsageCsv(usage: ClaudeCodeUsage): string {
  const header = 'day,model,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd';
  const lines = usage.rows.map((r) =>
    [
      r.day,
      r.model,
      r.requests,
      r.inputTokens,
      r.outputTokens,
      r.cacheReadTokens,
      r.cacheWriteTokens,
      r.cost === undefined ? '' : toDecimalString(r.cost),
    ].join(','),
  );
  return `${[header, ...lines].join('\r\n')}\r\n`;
}
