import { describe, expect, it } from 'vitest';
import { apiKey, budget, calendarWindow, createHub, formatResetTime, localDate, usd } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { quiet } from './helpers.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('calendar windows', () => {
  it('makes the spring-forward day 23 hours and the fall-back day 25 hours long', () => {
    const spring = calendarWindow('day', Date.parse('2026-03-08T12:00:00Z'), 'America/New_York');
    expect([iso(spring.start), iso(spring.end)]).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    const fall = calendarWindow('day', Date.parse('2026-11-01T12:00:00Z'), 'America/New_York');
    expect([iso(fall.start), iso(fall.end)]).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(fall.key).toBe('day:2026-11-01@America/New_York');
  });

  it('starts months at local midnight across a DST change and weeks on Monday', () => {
    const november = calendarWindow('month', Date.parse('2026-11-15T00:00:00Z'), 'America/New_York');
    expect([iso(november.start), iso(november.end), november.key]).toEqual([
      '2026-11-01T04:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
      'month:2026-11@America/New_York',
    ]);
    const week = calendarWindow('week', Date.parse('2026-11-29T12:00:00Z'), 'Europe/Berlin'); // a Sunday
    expect([iso(week.start), iso(week.end)]).toEqual(['2026-11-22T23:00:00.000Z', '2026-11-29T23:00:00.000Z']);
  });

  it('starts a day whose midnight does not exist at the first instant that does', () => {
    // Chile moves clocks from 00:00 to 01:00 on the first Sunday of September.
    const day = calendarWindow('day', Date.parse('2026-09-06T15:00:00Z'), 'America/Santiago');
    expect(localDate(day.start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(day.start - 1000, 'America/Santiago')).toBe('2026-09-05');
  });

  it('handles zones with half- and quarter-hour offsets', () => {
    const kathmandu = calendarWindow('day', Date.parse('2026-11-23T12:00:00Z'), 'Asia/Kathmandu');
    expect(iso(kathmandu.start)).toBe('2026-11-22T18:15:00.000Z');
    expect(localDate(Date.parse('2026-11-23T18:14:59Z'), 'Asia/Kolkata')).toBe('2026-11-23');
    expect(localDate(Date.parse('2026-11-23T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-11-24');
  });

  it('words reset times the way users read them', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(formatResetTime(Date.parse('2026-11-23T23:00:00Z'), 'America/Los_Angeles', now)).toBe(
      '3pm (America/Los_Angeles)',
    );
    expect(formatResetTime(Date.parse('2026-11-28T17:30:00Z'), 'America/Los_Angeles', now)).toBe(
      'Nov 28, 9:30am (America/Los_Angeles)',
    );
  });

  it('resets a daily budget at local midnight in the hub time zone, not UTC', async () => {
    const clock = manualClock('2026-03-08T04:30:00Z'); // 23:30 on Mar 7 in New York
    const hub = await createHub({
      ...quiet,
      clock,
      timeZone: 'America/New_York',
      plugins: [apiKey({ id: 'k', key: 'sk' }), budget({ id: 'daily', amount: '1', period: 'day' })],
      route: { entries: [{ id: 'daily', strategy: 'k', pool: 'daily' }] },
    });
    const resets: string[] = [];
    hub.on('pool.reset', (e) => void resets.push(e.poolId));
    await (await hub.begin({ amount: usd('1') })).settle({ cost: usd('1') });
    expect((await hub.pool('daily').status()).summary).toBe(
      'daily budget of $1.00 used; resets Mar 8, 12am (America/New_York)',
    );
    clock.set('2026-03-08T04:59:59Z');
    await expect(hub.begin({ amount: usd('0.01') })).rejects.toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    clock.set('2026-03-08T05:00:00Z'); // midnight in New York, 05:00 UTC
    await hub.refreshPools();
    expect(resets).toEqual(['daily']);
    await expect(hub.begin({ amount: usd('1') })).resolves.toMatchObject({ held: usd('1') });
  });
});
