import { Command } from 'commander';
import { formatUsd, toDecimalString, type CostBreakdown, type CostCategory, type UsdDisplay } from '@drawdown/core';
import { centsAddingUp, formatUsdDecimal } from '@drawdown/core/internal';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { formatCount, renderTable, wrap } from '../render/table.js';
import { atWarnings, parseAt, priceText, rateCardFor, renderWarnings } from './rates.js';

const categoryLabels: Record<CostCategory, string> = {
  input: 'input',
  output: 'output',
  cache_write_5m: 'cache write 5m',
  cache_write_1h: 'cache write 1h',
  cache_read: 'cache read',
  web_search: 'web search',
};

function parseUsage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      `--usage is not valid JSON: ${(error as Error).message}`,
      `Quote the whole object, e.g. --usage '{"input_tokens":1000,"output_tokens":500}'.`,
      { argument: 'usage' },
    );
  }
}

/** The JSON shape of `estimate --json`: exact decimal strings only, never floats. */
export function breakdownJson(breakdown: CostBreakdown, warnings: string[] = []): object {
  return {
    model: breakdown.model,
    totalUsd: breakdown.totalUsd,
    exactTotalUsd: breakdown.exactTotalUsd,
    batch: breakdown.batch,
    fast: breakdown.fast,
    usInference: breakdown.usInference,
    longContext: breakdown.longContext,
    promptTokens: breakdown.promptTokens,
    ...(breakdown.band && { band: breakdown.band }),
    pricedBy: breakdown.pricedBy,
    ...(breakdown.priceRow !== undefined && { priceRow: breakdown.priceRow }),
    ...(breakdown.effectiveFrom !== undefined && { effectiveFrom: breakdown.effectiveFrom }),
    lines: breakdown.lines.map((line) => ({
      category: line.category,
      quantity: line.quantity,
      unitPriceUsd: line.unitPriceUsd,
      costUsd: toDecimalString(line.nanos),
      exactUsd: line.exactUsd,
    })),
    ...(warnings.length > 0 && { warnings }),
  };
}

/**
 * The breakdown as a table. By default every cost is in cents, rounded by `centsAddingUp`: the
 * total to the nearest cent, the lines so that they add up to it (a line may move by less than a
 * cent). `exact` prints each line's exact cost, which adds up to the exact total digit for digit.
 */
export function renderBreakdown(breakdown: CostBreakdown, display: UsdDisplay = 'cents', width = 80): string {
  const modifiers = [
    breakdown.fast && 'fast mode',
    breakdown.batch && 'batch 0.5×',
    breakdown.usInference && 'US inference 1.1×',
    breakdown.band && `prompt over ${formatCount(breakdown.band.abovePromptTokens)} tokens`,
  ].filter(Boolean);
  const title = `${breakdown.model}${modifiers.length > 0 ? ` (${modifiers.join(', ')})` : ''}`;
  const cents = centsAddingUp(
    breakdown.lines.map((line) => line.nanos),
    breakdown.total,
  );
  const costs =
    display === 'exact'
      ? breakdown.lines.map((line) => formatUsdDecimal(line.exactUsd))
      : cents.items.map((nanos) => formatUsd(nanos));
  const rows = breakdown.lines.map((line, i) => [
    categoryLabels[line.category],
    line.category === 'web_search' ? `${formatCount(line.quantity)} req` : formatCount(line.quantity),
    line.category === 'web_search' ? `${priceText(line.unitPriceUsd)}/req` : priceText(line.unitPriceUsd),
    costs[i]!,
  ]);
  const total = display === 'exact' ? formatUsdDecimal(breakdown.exactTotalUsd) : formatUsd(cents.total);
  const table = renderTable(
    [
      { header: 'Category' },
      { header: 'Tokens', align: 'right' },
      { header: 'Price/MTok', align: 'right' },
      { header: 'Cost', align: 'right' },
    ],
    rows,
    ['Total', '', '', total],
  );
  const row =
    breakdown.priceRow === undefined ? `priced at the cost the agent reported` : `price row ${breakdown.priceRow}`;
  const footer = [row];
  if (display === 'exact' && breakdown.exactTotalUsd !== breakdown.totalUsd)
    footer.push(`Rounded once to the nanodollar: ${formatUsd(breakdown.total, 'exact')}.`);
  if (display === 'cents' && breakdown.exactTotalUsd !== toDecimalString(cents.total))
    footer.push(`Exact total ${formatUsdDecimal(breakdown.exactTotalUsd)}; --exact prints every line exactly.`);
  return `${title}\n\n${table}\n\n${footer.flatMap((line) => wrap(line, width)).join('\n')}`;
}

export function estimateCommand(ctx: CliContext): Command {
  return new Command('estimate')
    .description('price a usage object exactly, with every modifier of the rate card')
    .requiredOption('--model <id>', 'model id, alias or dated snapshot name')
    .requiredOption('--usage <json>', "the response's usage object as JSON")
    .option('--batch', 'Batch API rates (0.5×), when the usage has no service_tier')
    .option('--geo <geo>', '"global" or "us" (1.1× on Claude 4.6 and later), when the usage has no inference_geo')
    .option('--speed <speed>', '"standard" or "fast" (fast-mode rates), when the usage has no speed')
    .option('--at <date>', 'price at the rates in force on this day (YYYY-MM-DD, UTC); default now')
    .option('--exact', 'print every cost to the last digit instead of in cents')
    .option('--json', 'print JSON with exact decimal strings')
    .action(
      async (
        options: {
          model: string;
          usage: string;
          batch?: boolean;
          geo?: string;
          speed?: string;
          at?: string;
          exact?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const at = parseAt(options.at);
        const usage = parseUsage(options.usage);
        const card = await rateCardFor(ctx, command);
        const breakdown = card.price(options.model, usage, {
          at,
          ...(options.batch && { batch: true }),
          ...(options.geo !== undefined && { geo: options.geo }),
          ...(options.speed !== undefined && { speed: options.speed }),
        });
        const warnings = atWarnings(card, options.at, at);
        ctx.term.out(
          options.json
            ? JSON.stringify(breakdownJson(breakdown, warnings), null, 2)
            : renderBreakdown(breakdown, options.exact ? 'exact' : 'cents', Math.min(ctx.term.width, 80)) +
                renderWarnings(warnings, Math.min(ctx.term.width, 80)),
        );
      },
    );
}
