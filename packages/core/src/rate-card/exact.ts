/**
 * Exact decimal arithmetic for prices. Rates are held as integer nanodollars per million tokens
 * (bigint), so a token charge `tokens × rate / 1,000,000` is an exact rational whose denominator
 * has only the prime factors 2 and 5: its decimal expansion always terminates and can be printed
 * exactly. Nothing here rounds except `roundHalfEven`, the one rounding of a request's total.
 */

/** A non-negative decimal string with at most 9 places, e.g. "0.125"; anything else is refused by callers. */
export const DECIMAL_USD = /^\d+(?:\.\d{1,9})?$/;

/** "0.125" → 125_000_000n nanodollars. Caller has checked the text against DECIMAL_USD. */
export function decimalToNanos(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}

/** A decimal multiplier such as "1.1" or "0.5" as an exact fraction [numerator, denominator]. */
export function decimalToFraction(text: string): [bigint, bigint] {
  const [whole = '0', fraction = ''] = text.split('.');
  const den = 10n ** BigInt(fraction.length);
  const num = BigInt(whole) * den + BigInt(fraction || '0');
  const divisor = gcd(num, den);
  return [num / divisor, den / divisor];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** numerator ÷ denominator rounded to the nearest integer, ties to even (both non-negative). */
export function roundHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  return twice > denominator || (twice === denominator && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

/**
 * The exact decimal USD string of `numerator / denominator` nanodollars, without trailing zeros.
 * The denominator must divide a power of ten (only factors 2 and 5), which every price here meets.
 */
export function exactUsd(numerator: bigint, denominator: bigint): string {
  let scaled = numerator;
  let places = 9;
  let den = denominator;
  while (den !== 1n) {
    if (scaled % den === 0n) {
      scaled /= den;
      den = 1n;
      break;
    }
    scaled *= 10n;
    places += 1;
    if (places > 60) throw new RangeError(`${numerator}/${denominator} has no finite decimal expansion`);
  }
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
