import { describe, expect, it } from 'vitest';
import { type DrawdownError, formatUsd, toDecimalString, usd } from '@drawdown/core';
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
    expect(formatUsd(73_500_000)).toBe('$0.0735');
    expect(formatUsd(1_234_567_890_000)).toBe('$1,234.56789');
    expect(formatUsd(-1_200_000_000)).toBe('-$1.20');
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
