import { CliErrorCodes, cliError } from './cli-error.js';
import { shiftDay } from './days.js';

/** The numbers a whole-number flag accepts; `unit` names what it counts ("minutes"). */
export interface WholeNumberRange {
  min: number;
  max?: number;
  unit?: string;
}

/**
 * A flag's whole number, checked against its range. `flag` is the name without dashes; the error
 * names the flag, what was given and the range, and shows `example` in use.
 */
export function wholeNumberFlag(flag: string, text: string, range: WholeNumberRange, example: string): number {
  const value = Number(text);
  const { min, max } = range;
  if (/^\d+$/.test(text.trim()) && Number.isSafeInteger(value) && value >= min && (max === undefined || value <= max))
    return value;
  const bounds = max === undefined ? `${min} or more` : `from ${min} to ${max}`;
  throw cliError(
    CliErrorCodes.INVALID_ARGUMENT,
    `--${flag} ${text} is not a whole number${range.unit ? ` of ${range.unit}` : ''} (${bounds})`,
    `Give a whole number ${bounds}, e.g. --${flag} ${example}.`,
    { argument: flag },
  );
}

/** A port to listen on: 0 lets the system pick a free one. */
export function portFlag(text: string, example: number): number {
  return wholeNumberFlag('port', text, { min: 0, max: 65_535 }, String(example));
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function dayFlag(flag: string, value: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      `--${flag} "${value}" is not a date`,
      `Write it as YYYY-MM-DD, e.g. --${flag} 2026-11-01.`,
      { argument: flag },
    );
  }
  return value;
}

/**
 * The local days `--from` and `--to` cover: each as given, else `--to` is `today` and `--from` is
 * `days` days back from it (both ends included). A range that ends before it starts is refused.
 */
export function dayRangeFlags(
  flags: { from?: string | undefined; to?: string | undefined },
  today: string,
  days: number,
): { fromDay: string; toDay: string } {
  const toDay = flags.to !== undefined ? dayFlag('to', flags.to) : today;
  const fromDay = flags.from !== undefined ? dayFlag('from', flags.from) : shiftDay(toDay, 1 - days);
  if (fromDay > toDay)
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      `--from ${fromDay} is after --to ${toDay}`,
      'Swap them, or leave --from out to use --days.',
      { argument: 'from' },
    );
  return { fromDay, toDay };
}
