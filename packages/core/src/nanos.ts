/**
 * Money is an integer count of **nanodollars** (1 USD = 1,000,000,000). Every published per-token
 * price, with every modifier (cache writes 1.25× and 2×, cache reads 0.1×, batch 0.5×, US inference
 * 1.1×), is a whole number of nanodollars per token, so token charges are exact with no rounding.
 *
 * The one rounding rule: whenever a value finer than a nanodollar has to become money (a decimal
 * string with more than 9 places, a float such as the Agent SDK's `total_cost_usd`, a price line
 * whose rational result is fractional), it is rounded **once** to the nearest nanodollar, ties to
 * even. Sums are exact. Display formatting rounds half up to the shown precision and never feeds
 * back into the ledger.
 *
 * Values stay within `Number.MAX_SAFE_INTEGER` nanodollars (about $9 million per amount or sum);
 * anything beyond is refused with DRAWDOWN_INVALID_AMOUNT instead of silently losing precision.
 */
export type Nanos = number;
