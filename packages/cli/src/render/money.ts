import { formatUsd, type Nanos, type UsdDisplay } from '@drawdown/core';
import { centsAddingUp } from '@drawdown/core/internal';

/** The `--exact` flag every command that prints amounts offers; cents are the default. */
export const EXACT_FLAG = ['--exact', 'print amounts to the nanodollar instead of in cents'] as const;

/** The display a command's options ask for. */
export const displayOf = (options: { exact?: boolean }): UsdDisplay => (options.exact ? 'exact' : 'cents');

/**
 * A column of amounts and its total as printed. In cents the cells are rounded by `centsAddingUp`,
 * so the column adds up to the printed total; exact cells add up digit for digit anyway.
 */
export function amountColumn(
  amounts: readonly Nanos[],
  total: Nanos,
  display: UsdDisplay,
): { cells: string[]; total: string } {
  if (display === 'exact')
    return { cells: amounts.map((n) => formatUsd(n, 'exact')), total: formatUsd(total, 'exact') };
  const cents = centsAddingUp([...amounts], total);
  return { cells: cents.items.map((n) => formatUsd(n)), total: formatUsd(cents.total) };
}
