import { describe, expect, it } from 'vitest';
import { parseRateLimitInfo, parseUnifiedHeaders } from '../src/index.js';

const at = Date.parse('2026-11-23T12:00:00Z');
const inSeconds = (iso: string): string => String(Date.parse(iso) / 1000);

describe('anthropic-ratelimit-unified-* headers', () => {
  it('reads the overall decision, its reset and the binding window', () => {
    const observation = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': inSeconds('2026-11-23T15:00:00Z'),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
        'anthropic-ratelimit-unified-fallback': 'available',
      },
      at,
    );
    expect(observation).toEqual({
      status: 'rejected',
      resetsAt: Date.parse('2026-11-23T15:00:00Z'),
      binding: 'five_hour',
      windows: { five_hour: { status: 'rejected', resetsAt: Date.parse('2026-11-23T15:00:00Z') } },
      at,
    });
  });

  it('reads the five-hour window', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-5h-utilization': '0.42',
        'anthropic-ratelimit-unified-5h-reset': inSeconds('2026-11-23T15:00:00Z'),
        'anthropic-ratelimit-unified-5h-surpassed-threshold': '0.9',
      },
      at,
    );
    expect(o?.windows.five_hour).toEqual({
      utilization: 0.42,
      resetsAt: Date.parse('2026-11-23T15:00:00Z'),
      surpassedThreshold: 0.9,
    });
  });

  it('reads the seven-day window', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-7d-utilization': '0.1',
        'anthropic-ratelimit-unified-7d-reset': inSeconds('2026-11-28T09:00:00Z'),
      },
      at,
    );
    expect(o?.windows.seven_day).toEqual({ utilization: 0.1, resetsAt: Date.parse('2026-11-28T09:00:00Z') });
  });

  it('reads the per-model seven-day windows', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-7d_opus-utilization': '0.8',
        'anthropic-ratelimit-unified-7d_opus-reset': inSeconds('2026-11-28T09:00:00Z'),
        'anthropic-ratelimit-unified-7d-sonnet-utilization': '0.3',
        'anthropic-ratelimit-unified-7d-sonnet-status': 'allowed',
      },
      at,
    );
    expect(o?.windows.seven_day_opus).toEqual({ utilization: 0.8, resetsAt: Date.parse('2026-11-28T09:00:00Z') });
    expect(o?.windows.seven_day_sonnet).toEqual({ utilization: 0.3, status: 'allowed' });
  });

  it('reads the overage window and why extra usage is off', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-representative-claim': 'seven_day',
        'anthropic-ratelimit-unified-overage-status': 'rejected',
        'anthropic-ratelimit-unified-overage-reset': inSeconds('2026-12-01T00:00:00Z'),
        'anthropic-ratelimit-unified-overage-utilization': '1',
        'anthropic-ratelimit-unified-overage-disabled-reason': 'out_of_credits',
      },
      at,
    );
    expect(o?.windows.overage).toEqual({
      status: 'rejected',
      resetsAt: Date.parse('2026-12-01T00:00:00Z'),
      utilization: 1,
    });
    expect(o?.overageDisabledReason).toBe('out_of_credits');
    expect(o?.windows.seven_day).toEqual({ status: 'rejected' });
  });

  it('accepts resets in epoch milliseconds and RFC 3339, and utilization given as a percentage', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-5h-reset': String(Date.parse('2026-11-23T15:00:00Z')),
        'anthropic-ratelimit-unified-7d-reset': '2026-11-28T09:00:00Z',
        'anthropic-ratelimit-unified-7d-utilization': '37',
      },
      at,
    );
    expect(o?.windows.five_hour?.resetsAt).toBe(Date.parse('2026-11-23T15:00:00Z'));
    expect(o?.windows.seven_day).toEqual({ resetsAt: Date.parse('2026-11-28T09:00:00Z'), utilization: 0.37 });
  });

  it('drops values that are not statuses, numbers or dates', () => {
    const o = parseUnifiedHeaders(
      {
        'anthropic-ratelimit-unified-status': 'maybe',
        'anthropic-ratelimit-unified-5h-utilization': 'lots',
        'anthropic-ratelimit-unified-5h-reset': 'soon',
      },
      at,
    );
    expect(o).toEqual({ windows: { five_hour: {} }, at });
  });

  it('finds nothing in a response without plan headers (an API-key request)', () => {
    expect(
      parseUnifiedHeaders({ 'anthropic-ratelimit-requests-remaining': '10', 'content-type': 'application/json' }, at),
    ).toBeUndefined();
  });
});

describe('Agent SDK rate_limit_event', () => {
  it('reads the window, status, reset, utilization and overage fields', () => {
    const o = parseRateLimitInfo(
      {
        status: 'allowed_warning',
        resetsAt: Date.parse('2026-11-23T15:00:00Z') / 1000,
        rateLimitType: 'five_hour',
        utilization: 0.92,
        overageStatus: 'rejected',
        overageDisabledReason: 'out_of_credits',
        isUsingOverage: false,
        surpassedThreshold: 0.9,
      },
      at,
    );
    expect(o).toEqual({
      status: 'allowed_warning',
      resetsAt: Date.parse('2026-11-23T15:00:00Z'),
      binding: 'five_hour',
      windows: {
        five_hour: {
          status: 'allowed_warning',
          resetsAt: Date.parse('2026-11-23T15:00:00Z'),
          utilization: 0.92,
          surpassedThreshold: 0.9,
        },
        overage: { status: 'rejected' },
      },
      overageDisabledReason: 'out_of_credits',
      usingOverage: false,
      at,
    });
  });

  it('reads every window of unifiedWindows when the event carries them', () => {
    const o = parseRateLimitInfo(
      {
        status: 'rejected',
        resetsAt: 1_795_000_000,
        rateLimitType: 'seven_day_sonnet',
        unifiedWindows: {
          five_hour: { utilization: 0.55, resetsAt: 1_794_990_000 },
          seven_day_sonnet: { utilization: 1, resetsAt: 1_795_000_000 },
        },
      },
      at,
    );
    expect(o?.windows).toEqual({
      five_hour: { utilization: 0.55, resetsAt: 1_794_990_000_000 },
      seven_day_sonnet: { utilization: 1, resetsAt: 1_795_000_000_000, status: 'rejected' },
    });
  });

  it('finds nothing in an event without a status or window', () => {
    expect(parseRateLimitInfo({ hello: 'world' }, at)).toBeUndefined();
    expect(parseRateLimitInfo(undefined, at)).toBeUndefined();
  });
});
