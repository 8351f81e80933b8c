import { standardRateLimitHeaders, unifiedRateLimitHeaders } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { classifyRefusal, parseRateLimitHeaders, refusalKind } from '../src/index.js';
import {
  parsePlanLimitHeaders,
  parseResetInstant,
  parseUtilization,
  planWindowKind,
  rateLimitHeaderSubset,
} from '../src/internal.js';

describe('parseRateLimitHeaders', () => {
  it('reads the standard buckets with RFC 3339 resets as epoch ms', () => {
    const reset = Date.parse('2026-11-23T12:01:00Z');
    const parsed = parseRateLimitHeaders(
      new Headers({
        ...standardRateLimitHeaders({
          requests: { limit: 50, remaining: 49, reset },
          inputTokens: { limit: 30000, remaining: 29000, reset },
          outputTokens: { limit: 8000, remaining: 7000, reset },
        }),
        'retry-after': '3',
      }),
    );
    expect(parsed.standard).toEqual({
      requests: { limit: 50, remaining: 49, resetAt: reset },
      inputTokens: { limit: 30000, remaining: 29000, resetAt: reset },
      outputTokens: { limit: 8000, remaining: 7000, resetAt: reset },
      retryAfterMs: 3000,
    });
    expect(parsed.unified).toBeUndefined();
  });

  it('reads the unified plan headers: status, reset in epoch seconds, claim, overage and each window', () => {
    const headers = unifiedRateLimitHeaders({
      status: 'allowed_warning',
      resetAt: 1_795_000_000,
      representativeClaim: 'seven_day',
      fallback: 'available',
      overageStatus: 'rejected',
      overageResetAt: 1_796_000_000,
      overageDisabledReason: 'out_of_credits',
      windows: {
        five_hour: { utilization: 0.42, resetAt: 1_794_990_000 },
        seven_day: { utilization: 0.91, resetAt: 1_795_000_000, surpassedThreshold: 0.9 },
        seven_day_opus: { utilization: 0.5 },
        overage: { utilization: 1 },
      },
    });
    const { unified } = parseRateLimitHeaders(headers);
    expect(unified).toEqual({
      status: 'allowed_warning',
      resetAt: 1_795_000_000_000,
      representativeClaim: 'seven_day',
      fallback: 'available',
      overage: { status: 'rejected', resetAt: 1_796_000_000_000, disabledReason: 'out_of_credits' },
      windows: [
        { kind: 'five_hour', utilization: 0.42, resetAt: 1_794_990_000_000 },
        { kind: 'overage', utilization: 1 },
        { kind: 'seven_day', utilization: 0.91, resetAt: 1_795_000_000_000, surpassedThreshold: 0.9 },
        { kind: 'seven_day_opus', utilization: 0.5 },
      ],
    });
  });

  it('accepts plain records and entry pairs, in any letter case', () => {
    expect(parseRateLimitHeaders({ 'Anthropic-RateLimit-Unified-Status': 'rejected' }).unified?.status).toBe(
      'rejected',
    );
    expect(parseRateLimitHeaders([['anthropic-ratelimit-unified-status', 'allowed']]).unified?.status).toBe('allowed');
  });

  it('leaves out malformed values instead of guessing', () => {
    const parsed = parseRateLimitHeaders({
      'anthropic-ratelimit-requests-limit': 'lots',
      'anthropic-ratelimit-requests-reset': 'tomorrow-ish',
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-5h-utilization': 'high',
      'anthropic-ratelimit-unified-reset': '',
    });
    expect(parsed.standard).toEqual({});
    expect(parsed.unified).toEqual({ status: 'allowed', windows: [{ kind: 'five_hour' }] });
  });

  it('turns an HTTP-date retry-after into the wait from now', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseRateLimitHeaders({ 'retry-after': 'Mon, 23 Nov 2026 12:00:30 GMT' }, now).standard.retryAfterMs).toBe(
      30_000,
    );
    expect(parseRateLimitHeaders({ 'retry-after-ms': '250' }, now).standard.retryAfterMs).toBe(250);
  });

  it('keeps only rate-limit headers for pools, never anything else of the response', () => {
    expect(
      rateLimitHeaderSubset({
        'x-api-key': 'sk-secret',
        'set-cookie': 'a',
        'anthropic-ratelimit-unified-status': 'allowed',
        'request-id': 'req_1',
      }),
    ).toEqual({
      'anthropic-ratelimit-unified-status': 'allowed',
      'request-id': 'req_1',
    });
  });
});

describe('parsePlanLimitHeaders', () => {
  const reset = Date.parse('2026-11-28T09:00:00Z');

  it('reads the per-model seven-day windows in either spelling', () => {
    const plan = parsePlanLimitHeaders({
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-7d_opus-utilization': '0.8',
      'anthropic-ratelimit-unified-7d_opus-reset': String(reset / 1000),
      'anthropic-ratelimit-unified-7d-sonnet-utilization': '0.3',
      'anthropic-ratelimit-unified-7d-sonnet-status': 'allowed_warning',
      'anthropic-ratelimit-unified-7d_oi-utilization': '0.2',
    });
    expect(plan?.windows).toEqual([
      { kind: 'seven_day_opus', utilization: 0.8, resetAt: reset },
      { kind: 'seven_day_overage_included', utilization: 0.2 },
      { kind: 'seven_day_sonnet', utilization: 0.3, status: 'allowed_warning' },
    ]);
  });

  it('reads the overage fields and the overage window together', () => {
    const plan = parsePlanLimitHeaders({
      'anthropic-ratelimit-unified-overage-status': 'rejected',
      'anthropic-ratelimit-unified-overage-reset': String(reset / 1000),
      'anthropic-ratelimit-unified-overage-utilization': '1',
      'anthropic-ratelimit-unified-overage-disabled-reason': 'out_of_credits',
    });
    expect(plan).toEqual({
      overage: { status: 'rejected', resetAt: reset, disabledReason: 'out_of_credits' },
      windows: [{ kind: 'overage', utilization: 1 }],
    });
  });

  it('yields the windows of a response that sends no plan status, where parseRateLimitHeaders yields no unified part', () => {
    const headers = {
      'anthropic-ratelimit-unified-5h-utilization': '0.42',
      'anthropic-ratelimit-unified-5h-surpassed-threshold': '0.9',
    };
    expect(parsePlanLimitHeaders(headers)).toEqual({
      windows: [{ kind: 'five_hour', utilization: 0.42, surpassedThreshold: 0.9 }],
    });
    expect(parseRateLimitHeaders(headers).unified).toBeUndefined();
  });

  it('finds nothing in a response without plan headers (an API-key request)', () => {
    expect(
      parsePlanLimitHeaders({ 'anthropic-ratelimit-requests-remaining': '10', 'content-type': 'application/json' }),
    ).toBeUndefined();
  });

  it('accepts resets in epoch milliseconds and RFC 3339, and utilization given as a percentage', () => {
    const { unified } = parseRateLimitHeaders({
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-reset': String(reset),
      'anthropic-ratelimit-unified-5h-reset': '2026-11-28T09:00:00Z',
      'anthropic-ratelimit-unified-7d-utilization': '37',
    });
    expect(unified).toEqual({
      status: 'allowed',
      resetAt: reset,
      windows: [
        { kind: 'five_hour', resetAt: reset },
        { kind: 'seven_day', utilization: 0.37 },
      ],
    });
  });
});

describe('plan value readers', () => {
  it('turns epoch seconds, epoch ms and RFC 3339 into epoch ms, and nothing else', () => {
    const at = Date.parse('2026-11-23T15:00:00Z');
    expect(parseResetInstant(at / 1000)).toBe(at);
    expect(parseResetInstant(String(at / 1000))).toBe(at);
    expect(parseResetInstant(at)).toBe(at);
    expect(parseResetInstant('2026-11-23T15:00:00Z')).toBe(at);
    for (const bad of ['soon', '', '  ', -5, 0, Number.NaN, null, undefined, {}])
      expect(parseResetInstant(bad)).toBeUndefined();
  });

  it('reads shares as 0–1, percentages scaled down, and drops negatives and nonsense', () => {
    expect(parseUtilization('0.42')).toBe(0.42);
    expect(parseUtilization(1)).toBe(1);
    expect(parseUtilization('90')).toBe(0.9);
    for (const bad of ['lots', '', -0.1, Number.POSITIVE_INFINITY, null, undefined])
      expect(parseUtilization(bad)).toBeUndefined();
  });

  it('names windows as the Agent SDK does, keeping unknown names with underscores', () => {
    expect(planWindowKind('5h')).toBe('five_hour');
    expect(planWindowKind('7d-opus')).toBe('seven_day_opus');
    expect(planWindowKind('five_hour')).toBe('five_hour');
    expect(planWindowKind('30d-team')).toBe('30d_team');
  });
});

describe('refusal classification', () => {
  it('tells a spent plan, a billing refusal and a low credit balance from ordinary errors', () => {
    expect(refusalKind(429, { 'anthropic-ratelimit-unified-status': 'rejected' }, undefined)).toBe('plan-limit');
    expect(refusalKind(429, { 'anthropic-ratelimit-unified-status': 'allowed' }, undefined)).toBeUndefined();
    expect(refusalKind(429, {}, 'rate limited')).toBeUndefined();
    expect(refusalKind(402, {}, 'spend limit')).toBe('payment-required');
    expect(
      refusalKind(
        400,
        {},
        'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
      ),
    ).toBe('credit-balance-too-low');
    expect(refusalKind(400, {}, 'messages: field required')).toBeUndefined();
    expect(refusalKind(529, {}, 'Overloaded')).toBeUndefined();
  });

  it('classifies nothing that is not an API error', () => {
    expect(classifyRefusal(new Error('boom'))).toBeUndefined();
    expect(classifyRefusal(undefined)).toBeUndefined();
    expect(classifyRefusal({ status: 402, headers: {} })).toBe('payment-required');
  });
});
