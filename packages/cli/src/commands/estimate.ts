import { Command } from 'commander';
import { defaultRateCard, formatUsd, toDecimalString, type CostBreakdown, type CostCategory } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { formatCount, renderTable } from '../render/table.js';

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
export function breakdownJson(breakdown: CostBreakdown): object {
  return {
    model: breakdown.model,
    totalUsd: breakdown.totalUsd,
    batch: breakdown.batch,
    usInference: breakdown.usInference,
    longContext: breakdown.longContext,
    lines: breakdown.lines.map((line) => ({
      category: line.category,
      quantity: line.quantity,
      unitPriceUsd: line.unitPriceUsd,
      costUsd: toDecimalString(line.nanos),
    })),
  };
}

export function renderBreakdown(breakdown: CostBreakdown): string {
  const modifiers = [breakdown.batch && 'batch 0.5×', breakdown.usInference && 'US inference 1.1×', breakdown.longContext && 'long context'].filter(Boolean);
  const title = `${breakdown.model}${modifiers.length > 0 ? ` (${modifiers.join(', ')})` : ''}`;
  const rows = breakdown.lines.map((line) => [
    categoryLabels[line.category],
    line.category === 'web_search' ? `${formatCount(line.quantity)} req` : formatCount(line.quantity),
    line.category === 'web_search' ? `$${line.unitPriceUsd}/req` : `$${line.unitPriceUsd}`,
    formatUsd(line.nanos),
  ]);
  const table = renderTable(
    [{ header: 'Category' }, { header: 'Tokens', align: 'right' }, { header: 'Price/MTok', align: 'right' }, { header: 'Cost', align: 'right' }],
    rows,
    ['Total', '', '', formatUsd(breakdown.total)],
  );
  return `${title}\n\n${table}`;
}

export function estimateCommand(ctx: CliContext): Command {
  return new Command('estimate')
    .description('price a usage object exactly, with every modifier of the rate card')
    .requiredOption('--model <id>', 'model id, alias or dated snapshot name')
    .requiredOption('--usage <json>', "the response's usage object as JSON")
    .option('--batch', 'bill at Batch API rates (0.5×)')
    .option('--geo <geo>', 'inference geography; "us" applies 1.1× where the model prices it')
    .option('--json', 'print JSON with exact decimal strings')
    .action((options: { model: string; usage: string; batch?: boolean; geo?: string; json?: boolean }) => {
      const breakdown = defaultRateCard.price(options.model, parseUsage(options.usage), {
        ...(options.batch && { batch: true }),
        ...(options.geo !== undefined && { geo: options.geo }),
      });
      ctx.term.out(options.json ? JSON.stringify(breakdownJson(breakdown), null, 2) : renderBreakdown(breakdown));
    });
}
