import { DrawdownError, ErrorCodes } from './errors.js';
import type { Nanos } from './nanos.js';

export type { Nanos } from './nanos.js';

export const NANOS_PER_USD = 1_000_000_000;
const NANOS_PER_USD_BIG = 1_000_000_000n;

/** Checks that a value is a safe integer amount; returns it for chaining. */
export function assertNanos(value: number, what = 'amount'): Nanos {
  if (!Number.isSafeInteger(value)) {
    throw new DrawdownError(
      ErrorCodes.INVALID_AMOUNT,
      `${what} must be a whole number of nanodollars within ±$9,007,199; got ${String(value)}`,
      { data: { what, value: String(value) } },
    );
  }
  return value;
}

/** Adds amounts, refusing any result that is no longer exact. */
export function addNanos(...values: Nanos[]): Nanos {
  let sum = 0;
  for (const v of values) sum += v;
  return assertNanos(sum, 'sum');
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a USD amount given as a decimal string ("10", "0.0735", "$1,250.50") or a finite number
 * into nanodollars. Numbers go through their shortest decimal representation, so `0.1` is exactly
 * 100,000,000 nanodollars, not the float's binary expansion.
 */
export function usd(amount: string | number): Nanos {
  const text =
    typeof amount === 'number' ? numberToDecimal(amount) : amount.trim().replace(/^\$/, '').replaceAll(',', '');
  const match = DECIMAL.exec(text);
  if (!match) {
    throw new DrawdownError(
      ErrorCodes.INVALID_AMOUNT,
      `"${String(amount)}" is not a USD amount; write it like "10", "0.25" or "1250.50"`,
      { data: { value: String(amount) } },
    );
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  const scaled = roundDecimalToNanos(whole, fraction);
  return assertNanos(Number(sign === '-' ? -scaled : scaled), 'amount');
}

function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) {
    throw new DrawdownError(ErrorCodes.INVALID_AMOUNT, `amount must be a finite number; got ${value}`, {
      data: { value: String(value) },
    });
  }
  // toString may use exponent notation (1e-7); toFixed(20) is exact enough for 9 places after rounding.
  const text = value.toString();
  return text.includes('e') ? value.toFixed(20) : text;
}

/** Rounds a non-negative decimal to nanodollars, half to even. */
function roundDecimalToNanos(whole: string, fraction: string): bigint {
  const kept = fraction.slice(0, 9).padEnd(9, '0');
  const rest = fraction.slice(9);
  let nanos = BigInt(whole) * NANOS_PER_USD_BIG + BigInt(kept);
  if (rest.length > 0) {
    const first = rest.charCodeAt(0) - 48;
    const beyondHalf = /[1-9]/.test(rest.slice(1));
    if (first > 5 || (first === 5 && (beyondHalf || nanos % 2n === 1n))) nanos += 1n;
  }
  return nanos;
}

/** Divides two bigints rounding half to even: the ledger's one rounding rule. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const remainder = n % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/**
 * `numerator × multiplier ÷ denominator` rounded half to even, exact for any safe integers: plain
 * number arithmetic while the product stays exact (the common case on the request path), bigint
 * beyond that.
 */
export function mulDivHalfEven(numerator: number, multiplier: number, denominator: number): number {
  const product = numerator * multiplier;
  if (Number.isSafeInteger(product) && numerator >= 0) {
    const quotient = Math.floor(product / denominator);
    const twice = (product - quotient * denominator) * 2;
    return twice > denominator || (twice === denominator && quotient % 2 === 1) ? quotient + 1 : quotient;
  }
  return Number(divideHalfEven(BigInt(numerator) * BigInt(multiplier), BigInt(denominator)));
}

/**
 * The exact decimal value of an amount, without trailing zeros: 73_500_000 → "0.0735".
 * This is what JSON output carries (`totalUsd`), so no consumer ever sees a float.
 */
export function toDecimalString(nanos: Nanos): string {
  assertNanos(nanos);
  const abs = Math.abs(nanos);
  const whole = Math.floor(abs / NANOS_PER_USD);
  const fraction = String(abs - whole * NANOS_PER_USD)
    .padStart(9, '0')
    .replace(/0+$/, '');
  return `${nanos < 0 ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** How an amount is shown to people: rounded to cents (the default everywhere), or to the nanodollar. */
export type UsdDisplay = 'cents' | 'exact';

const NANOS_PER_CENT = 10_000_000;

/**
 * The one way amounts are shown to people. `cents` (the default): "$23.94", "-$1.20", rounded half
 * to even like the ledger; an amount that is not zero but under a cent keeps two significant digits
 * ("$0.0012"), so it never reads as "$0.00". `exact`: every digit down to the nanodollar, at least
 * cents ("$23.936365", "$10.00"). Machines get `toDecimalString` instead, never this.
 */
export function formatUsd(nanos: Nanos, display: UsdDisplay = 'cents'): string {
  assertNanos(nanos);
  const abs = Math.abs(nanos);
  let decimals: string;
  if (display === 'exact') decimals = toDecimalString(abs);
  else if (abs === 0 || abs >= NANOS_PER_CENT) decimals = toDecimalString(roundToUnit(abs, NANOS_PER_CENT));
  else {
    // Under a cent: keep the first two significant digits (10^k ≤ abs < 10^(k+1) nanodollars).
    const unit = 10 ** Math.max(0, String(abs).length - 2);
    decimals = toDecimalString(roundToUnit(abs, unit));
  }
  return formatUsdDecimal(`${nanos < 0 ? '-' : ''}${decimals}`);
}

/**
 * An exact decimal USD string as people read it, digit for digit: "-1234.5" → "-$1,234.50". For
 * figures finer than a nanodollar (a rate card's exact line costs); `formatUsd` ends here too.
 */
export function formatUsdDecimal(decimal: string): string {
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}$${grouped}.${fraction.padEnd(2, '0')}`;
}

/** `nanos` rounded half to even to a multiple of `unit` (a power of ten): exact in plain numbers. */
function roundToUnit(nanos: Nanos, unit: number): Nanos {
  return mulDivHalfEven(nanos, 1, unit) * unit;
}

/**
 * Rounds line items to cents so that they add up to their total, itself rounded to cents: the
 * total is rounded half to even, every item is first cut down to whole cents, and the cents still
 * missing go one each to the items that lost the most (the earlier item on a tie). Printed lines
 * therefore always sum to the printed total, and no item moves by a cent or more. `total`
 * defaults to the exact sum of the items.
 */
export function centsAddingUp(items: Nanos[], total: Nanos = addNanos(...items)): { items: Nanos[]; total: Nanos } {
  const roundedTotal = roundToUnit(Math.abs(total), NANOS_PER_CENT) * Math.sign(total);
  const cut = items.map((n) => Math.floor(n / NANOS_PER_CENT) * NANOS_PER_CENT);
  let missing = Math.round((roundedTotal - cut.reduce((a, b) => a + b, 0)) / NANOS_PER_CENT);
  const byLoss = items.map((n, i) => ({ i, loss: n - cut[i]! })).sort((a, b) => b.loss - a.loss || a.i - b.i);
  // Usually 0 ≤ missing ≤ items; a total given apart from the items may ask for more or fewer.
  for (let k = 0; missing !== 0 && byLoss.length > 0; k++) {
    const step = missing > 0 ? 1 : -1;
    const target = missing > 0 ? byLoss[k % byLoss.length]! : byLoss[byLoss.length - 1 - (k % byLoss.length)]!;
    cut[target.i] = cut[target.i]! + step * NANOS_PER_CENT;
    missing -= step;
  }
  return { items: cut, total: roundedTotal };
}
