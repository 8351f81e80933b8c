import { standardRateLimitHeaders, unifiedRateLimitHeaders } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { classifyRefusal, parseRateLimitHeaders, rateLimitHeaderSubset, refusalKind } from '../src/anthropic/index.js';

describe('parseRateLimitHeaders', () => {
  it('reads the standard buckets with RFC 3339 resets as epoch ms', () => {
    const reset = Date.parse('2026-11-23T12:01:00Z');
    const parsed = parseRateLimitHeaders(
      new Headers({
        ...standardRateLimitHeaders({ requests: { limit: 50, remaining: 49, reset }, inputTokens: { limit: 30000, remaining: 29000, reset }, outputTokens: { limit: 8000, remaining: 7000, reset } }),
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
    expect(parseRateLimitHeaders({ 'Anthropic-RateLimit-Unified-Status': 'rejected' }).unified?.status).toBe('rejected');
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
    expect(parseRateLimitHeaders({ 'retry-after': 'Mon, 23 Nov 2026 12:00:30 GMT' }, now).standard.retryAfterMs).toBe(30_000);
    expect(parseRateLimitHeaders({ 'retry-after-ms': '250' }, now).standard.retryAfterMs).toBe(250);
  });

  it('keeps only rate-limit headers for pools, never anything else of the response', () => {
    expect(rateLimitHeaderSubset({ 'x-api-key': 'sk-secret', 'set-cookie': 'a', 'anthropic-ratelimit-unified-status': 'allowed', 'request-id': 'req_1' })).toEqual({
      'anthropic-ratelimit-unified-status': 'allowed',
      'request-id': 'req_1',
    });
  });
});

describe('refusal classification', () => {
  it('tells a spent plan, a billing refusal and a low credit balance from ordinary errors', () => {
    expect(refusalKind(429, { 'anthropic-ratelimit-unified-status': 'rejected' }, undefined)).toBe('plan-limit');
    expect(refusalKind(429, { 'anthropic-ratelimit-unified-status': 'allowed' }, undefined)).toBeUndefined();
    expect(refusalKind(429, {}, 'rate limited')).toBeUndefined();
    expect(refusalKind(402, {}, 'spend limit')).toBe('payment-required');
    expect(refusalKind(400, {}, 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.')).toBe('credit-balance-too-low');
    expect(refusalKind(400, {}, 'messages: field required')).toBeUndefined();
    expect(refusalKind(529, {}, 'Overloaded')).toBeUndefined();
  });

  it('classifies nothing that is not an API error', () => {
    expect(classifyRefusal(new Error('boom'))).toBeUndefined();
    expect(classifyRefusal(undefined)).toBeUndefined();
    expect(classifyRefusal({ status: 402, headers: {} })).toBe('payment-required');
  });
});
