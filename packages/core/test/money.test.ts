import { describe, expect, it } from 'vitest';
import { type DrawdownError, formatUsd, toDecimalString, usd } from '@drawdown/core';
import { centsAddingUp, formatUsdDecimal } from '@drawdown/core/internal';
import { divideHalfEven, mulDivHalfEven } from '../src/money.js';

describe('money', () => {
  it('parses decimal strings and numbers into exact nanodollars', () => {
    expect(usd('10')).toBe(10_000_000_000);
    expect(usd('0.0735')).toBe(73_500_000);
    expect(usd('$1,250.50')).toBe(1_250_500_000_000);
    expect(usd(0.1)).toBe(100_000_000);
    expect(usd(1e-7)).toBe(100);
    expect(usd('-2.5')).toBe(-2_500_000_000);
  });

  it('rounds values finer than a nanodollar once, half to even', () => {
    expect(usd('0.0000000005')).toBe(0);
    expect(usd('0.0000000015')).toBe(2);
    expect(usd('0.0000000025')).toBe(2);
    expect(usd('0.00000000250001')).toBe(3);
    // The Agent SDK reports floats like this one; it becomes the nearest nanodollar, not a drifting float.
    expect(usd(0.1 + 0.2)).toBe(300_000_000);
    expect(divideHalfEven(5n, 2n)).toBe(2n);
    expect(divideHalfEven(7n, 2n)).toBe(4n);
    expect(divideHalfEven(-7n, 2n)).toBe(-4n);
  });

  it('multiplies and divides exactly on both the fast and the big-number path', () => {
    expect([mulDivHalfEven(5, 1, 2), mulDivHalfEven(7, 1, 2), mulDivHalfEven(1, 25, 10)]).toEqual([2, 4, 2]);
    // 1M tokens × 22 × $5/MTok overflows a double's exact range; the result must still be exact.
    const big = mulDivHalfEven(1_000_000 * 22, 5_000_000_000, 20 * 1_000_000);
    expect(big).toBe(Number(divideHalfEven(22_000_000n * 5_000_000_000n, 20_000_000n)));
    expect(mulDivHalfEven(-7, 1, 2)).toBe(-4);
  });

  it('sums many small charges without float drift', () => {
    let total = 0;
    for (let i = 0; i < 10_000; i++) total += usd('0.001615');
    expect(toDecimalString(total)).toBe('16.15');
  });

  it('prints exact decimals for JSON and readable amounts for people', () => {
    expect(toDecimalString(73_500_000)).toBe('0.0735');
    expect(toDecimalString(10_000_000_000)).toBe('10');
    expect(toDecimalString(-1)).toBe('-0.000000001');
    expect(formatUsd(10_000_000_000)).toBe('$10.00');
    expect(formatUsd(23_936_365_000)).toBe('$23.94');
    expect(formatUsd(73_500_000)).toBe('$0.07');
    expect(formatUsd(1_234_567_890_000)).toBe('$1,234.57');
    expect(formatUsd(-1_200_000_000)).toBe('-$1.20');
    expect(formatUsd(0)).toBe('$0.00');
    // Half to even, the ledger's rule: $0.125 → $0.12, $0.135 → $0.14.
    expect(formatUsd(125_000_000)).toBe('$0.12');
    expect(formatUsd(135_000_000)).toBe('$0.14');
    // Under a cent, two significant digits: never "$0.00" for an amount that is not zero.
    expect(formatUsd(1_234_567)).toBe('$0.0012');
    expect(formatUsd(9_999_999)).toBe('$0.01');
    expect(formatUsd(1)).toBe('$0.000000001');
    expect(formatUsd(-3_000_000)).toBe('-$0.003');
    // Exact: every digit, at least cents.
    expect(formatUsd(23_936_365_000, 'exact')).toBe('$23.936365');
    expect(formatUsd(1_234_567_890_000, 'exact')).toBe('$1,234.56789');
    expect(formatUsd(10_000_000_000, 'exact')).toBe('$10.00');
    expect(formatUsd(-1, 'exact')).toBe('-$0.000000001');
    expect(formatUsdDecimal('-1234.00000007425')).toBe('-$1,234.00000007425');
  });

  it('rounds line items to cents that add up to the rounded total', () => {
    // Three items of about $0.004: alone each rounds to $0.00; together they make $0.01.
    expect(centsAddingUp([4_002_000, 4_005_000, 4_002_000])).toEqual({ items: [0, 10_000_000, 0], total: 10_000_000 });
    // The cent goes to the item that lost the most; ties go to the earlier item.
    expect(centsAddingUp([5_000_000, 5_000_000, 5_000_000])).toEqual({
      items: [10_000_000, 10_000_000, 0],
      total: 20_000_000,
    });
    // A total rounded apart from its items (a rate card's once-rounded sum) still wins.
    expect(centsAddingUp([37_035_000, 16_665_000, 9_999_900, 101_835_000], 165_534_900)).toEqual({
      items: [40_000_000, 20_000_000, 10_000_000, 100_000_000],
      total: 170_000_000,
    });
    expect(centsAddingUp([], 0)).toEqual({ items: [], total: 0 });
    expect(centsAddingUp([-15_000_000, 5_000_000])).toEqual({ items: [-10_000_000, 0], total: -10_000_000 });
    for (const items of [
      [1, 2, 3],
      [123_456_789, 987_654_321, 5],
      [19_999_999, 19_999_999, 19_999_999],
    ]) {
      const { items: cents, total } = centsAddingUp(items);
      expect(cents.reduce((a, b) => a + b, 0)).toBe(total);
      for (const [i, c] of cents.entries()) expect(Math.abs(c - items[i]!)).toBeLessThan(10_000_000);
    }
  });

  it('refuses malformed and unsafe amounts with a coded error', () => {
    for (const bad of ['ten', '1.2.3', '', '1e5']) {
      expect(() => usd(bad)).toThrowError(
        expect.objectContaining({ code: 'DRAWDOWN_INVALID_AMOUNT' }) as DrawdownError,
      );
    }
    expect(() => usd(Number.NaN)).toThrow(/finite/);
    expect(() => usd('99999999999')).toThrow(/within/);
  });
});
