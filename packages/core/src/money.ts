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

/**
 * Human display: "$10.00", "$0.0735", "-$1.20". Shows cents, or up to `maxDecimals` places when the
 * amount has more (small per-request costs stay readable). Rounds half up for display only.
 */
export function formatUsd(nanos: Nanos, options: { maxDecimals?: number; minDecimals?: number } = {}): string {
  const maxDecimals = options.maxDecimals ?? 6;
  const minDecimals = options.minDecimals ?? 2;
  // Plain number arithmetic is exact here: amounts are safe integers and the divisor a power of ten.
  const unit = 10 ** (9 - maxDecimals);
  const rounded = Math.floor((Math.abs(nanos) + unit / 2) / unit);
  const scale = 10 ** maxDecimals;
  const whole = String(Math.floor(rounded / scale)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let fraction = String(rounded % scale).padStart(maxDecimals, '0');
  while (fraction.length > minDecimals && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${nanos < 0 ? '-' : ''}$${whole}${fraction ? `.${fraction}` : ''}`;
}
