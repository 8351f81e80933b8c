import { Command } from 'commander';
import {
  createRateCard,
  defaultRateCard,
  describePriceRow,
  ErrorCodes,
  isDrawdownError,
  parsePricingDate,
  toDecimalString,
  type ModelPrice,
  type PriceRates,
  type RateCard,
} from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { problemText } from '../config/option-problems.js';
import type { CliContext } from '../context.js';
import { loadFor } from '../session.js';
import { renderTable, type DetailRow } from '../render/table.js';

/**
 * The rate card the commands price with: the built-in card, plus `rateCard` from the configuration
 * file when one is found (overrides and the unknown-model policy).
 */
export async function rateCardFor(ctx: CliContext, command: Command): Promise<RateCard> {
  const loaded = await loadFor(ctx, command);
  const rateCard = loaded.config.rateCard;
  if (rateCard === undefined) return defaultRateCard;
  const problems = loaded.problems.filter((p) => p.path === 'rateCard' || p.path.startsWith('rateCard.'));
  if (problems.length > 0) {
    throw cliError(
      CliErrorCodes.INVALID_CONFIG,
      `${loaded.file ?? 'the configuration'}: ${problems.map((p) => `${p.path} ${problemText(p)}`).join(' ')}`,
      'Fix the rateCard section, then run "drawdown config check".',
      {
        problems,
        ...(loaded.file !== undefined && { file: loaded.file }),
      },
    );
  }
  return createRateCard({
    ...(rateCard.overrides && { overrides: rateCard.overrides }),
    ...(rateCard.unknownModel !== undefined && { unknownModel: rateCard.unknownModel }),
  });
}

/** `--at 2026-10-07` (that day, 00:00 UTC) or a zoned ISO time → epoch ms, by the core rule; now when absent. */
export function parseAt(value: string | undefined): number {
  if (value === undefined) return Date.now();
  try {
    return parsePricingDate(value, '--at');
  } catch (error) {
    if (!isDrawdownError(error, ErrorCodes.INVALID_DATE)) throw error;
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      `--at is "${value}", not a calendar date`,
      'Write the day as YYYY-MM-DD (UTC), e.g. --at 2026-10-07, or an ISO time such as 2026-10-07T12:00:00Z.',
      { argument: 'at' },
      error,
    );
  }
}

/** The card's warning for a date the user asked for that lies beyond what it knows; none for "now". */
export function atWarnings(card: RateCard, given: string | undefined, at: number): string[] {
  const warning = given === undefined ? undefined : card.dateWarning(at);
  return warning === undefined ? [] : [warning];
}

/**
 * A price per million tokens with every digit the card publishes, as price lists print them:
 * "$3", "$0.20" (not "$0.2"), "$0.0375". A rate, not an amount: no rounding to cents.
 */
export function priceText(decimal: string): string {
  return `$${/\.\d$/.test(decimal) ? `${decimal}0` : decimal}`;
}

const money = (nanos: number): string => priceText(toDecimalString(nanos));

const fiveRates = (r: PriceRates): string[] => [
  money(r.input),
  money(r.cacheWrite5m),
  money(r.cacheWrite1h),
  money(r.cacheRead),
  money(r.output),
];

function renderRates(rows: ModelPrice[], card: RateCard, at: number, width: number): string {
  const body: Array<string[] | DetailRow> = [];
  for (const row of rows) {
    body.push([`${row.model}${row.usInference ? '*' : ''}`, row.effectiveFromDate ?? '—', ...fiveRates(row.rates)]);
    for (const band of row.bands) {
      body.push({
        detail: `  prompt > ${band.abovePromptTokens.toLocaleString('en-US')} tokens, whole request: ${fiveRates(band.rates).join(' / ')}${band.evidence === 'U' ? ' (unconfirmed)' : ''}`,
      });
    }
    if (row.fast) body.push({ detail: `  fast mode: ${fiveRates(row.fast.rates).join(' / ')}` });
    if (row.evidence === 'U' || row.origin === 'override')
      body.push({
        detail: `  ${row.origin === 'override' ? 'from your configuration' : 'unconfirmed'}${row.note ? `: ${row.note}` : ''}`,
      });
  }
  const table = renderTable(
    [
      { header: 'Model', shrink: 'truncate' },
      { header: 'From' },
      { header: 'Input', align: 'right' },
      { header: '5m write', align: 'right' },
      { header: '1h write', align: 'right' },
      { header: 'Cache hit', align: 'right' },
      { header: 'Output', align: 'right' },
    ],
    body,
    undefined,
    { maxWidth: width },
  );
  const [bn, bd] = card.modifiers.batch;
  const [un, ud] = card.modifiers.usInference;
  const ratio = (num: number, den: number): string => toDecimalString(Math.round((num * 1_000_000_000) / den));
  const notes = [
    `USD per million tokens in force on ${new Date(at).toISOString().slice(0, 10)}. Bands and fast mode list input / 5m write / 1h write / cache hit / output.`,
    `* inference_geo "us" costs ${ratio(un, ud)}× on every token category of these models.`,
    `Batch API: ${ratio(bn, bd)}× on every token category; not combinable with fast mode.`,
    `Web search: ${money(card.modifiers.webSearchPerRequest)} per request, not multiplied.`,
  ];
  return `${table}\n\n${notes.flatMap((line) => wrapLine(line, width)).join('\n')}`;
}

/** Warnings under a rendered result, each `warning: …` wrapped to the width; empty when there are none. */
export function renderWarnings(warnings: string[], width: number): string {
  return warnings.map((w) => `\n\n${wrapLine(`warning: ${w}`, width).join('\n')}`).join('');
}

function wrapLine(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = `  ${word}`;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines;
}

export function ratesCommand(ctx: CliContext): Command {
  return new Command('rates')
    .description('list the rate card: per-model prices in force on a date, prompt bands, fast mode and modifiers')
    .option('--model <id>', 'one model, by id, alias, dated snapshot, Bedrock or Vertex name')
    .option('--at <date>', 'the day (YYYY-MM-DD, UTC) whose prices to show; default now')
    .option('--json', 'print JSON with exact decimal strings')
    .action(async (options: { model?: string; at?: string; json?: boolean }, command: Command) => {
      const at = parseAt(options.at);
      const card = await rateCardFor(ctx, command);
      const rows = options.model === undefined ? card.models(at) : [card.resolve(options.model, at)];
      const warnings = atWarnings(card, options.at, at);
      if (options.json) {
        const [bn, bd] = card.modifiers.batch;
        const [un, ud] = card.modifiers.usInference;
        const ratio = (num: number, den: number): string => toDecimalString(Math.round((num * 1_000_000_000) / den));
        const json = {
          at: new Date(at).toISOString(),
          models: rows.map((row) => describePriceRow(row, card.modifiers)),
          modifiers: {
            batchMultiplier: ratio(bn, bd),
            usInferenceMultiplier: ratio(un, ud),
            webSearchPerRequestUsd: toDecimalString(card.modifiers.webSearchPerRequest),
            fastWithBatch: false,
          },
          ...(warnings.length > 0 && { warnings }),
        };
        ctx.term.out(JSON.stringify(json, null, 2));
        return;
      }
      const width = Math.min(ctx.term.width, 80);
      ctx.term.out(renderRates(rows, card, at, width) + renderWarnings(warnings, width));
    });
}
