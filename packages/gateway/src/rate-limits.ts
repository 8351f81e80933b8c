import type { ServerResponse } from 'node:http';
import type { LedgerStore } from '@drawdown/core';
import { sendError } from './anthropic-errors.js';
import { keyAccount } from './key-budget.js';
import type { KeyRecord } from './keys.js';

/** Limits count in fixed one-minute windows, the unit they are given in. */
export const RATE_WINDOW_MS = 60_000;

/** What an admitted request took from its key's limits, so settle can count its true tokens. */
export interface RateAdmission {
  /** The instant the request was counted: its window. */
  at: number;
  windowEnd: number;
  /** Tokens taken at admission (input estimate plus the output ceiling); 0 without a token limit. */
  tokens: number;
}

export type RateDecision =
  | { ok: true; admission?: RateAdmission }
  | {
      ok: false;
      /** Which limit refused. */
      limit: 'requests' | 'tokens';
      /** The request alone needs more tokens than the limit allows in a whole minute. */
      tooLarge?: boolean;
      message: string;
      headers: Record<string, string>;
    };

/** Tokens a usage object reports: input (cache reads and writes included) plus output. */
export function usageTokens(usage: unknown): number {
  if (usage === null || typeof usage !== 'object') return 0;
  const u = usage as Record<string, unknown>;
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
  return n(u.input_tokens) + n(u.cache_creation_input_tokens) + n(u.cache_read_input_tokens) + n(u.output_tokens);
}

const counterName = (record: KeyRecord, what: 'requests' | 'tokens'): string => `${keyAccount(record)}:${what}`;

/**
 * Requests and tokens per minute for each key, counted in the store (`countInWindow`), so every
 * gateway process and host on the store shares one count and a limit holds exactly within each
 * window. A request takes 1 request and, for a token limit, its input estimate plus its output
 * ceiling (`max_tokens`, or the gateway's `holdMaxTokens`); when it finishes, the difference to
 * the tokens it really used is given back (or added) in the same window. A window's admitted
 * tokens therefore stay within the limit whenever the input estimate is not below the true count;
 * the estimate is conservative, and any excess is bounded by that one request's misestimate.
 */
export function keyRateLimiter(store: LedgerStore, now: () => number) {
  return {
    async admit(record: KeyRecord, tokens: number): Promise<RateDecision> {
      const limits = record.limits;
      if (!limits || (limits.requestsPerMinute === undefined && limits.tokensPerMinute === undefined))
        return { ok: true };
      const rpm = limits.requestsPerMinute;
      const tpm = limits.tokensPerMinute;
      if (tpm !== undefined && tokens > tpm) {
        return {
          ok: false,
          limit: 'tokens',
          tooLarge: true,
          message: `drawdown: this request may use up to ${tokens} tokens (its input estimate plus max_tokens), more than key "${record.name}" may use in a minute (${tpm} tokens per minute); lower max_tokens or shorten the input`,
          headers: {},
        };
      }
      const kinds: Array<'requests' | 'tokens'> = [];
      const counters: Array<{ name: string; amount: number; limit: number }> = [];
      if (rpm !== undefined) {
        kinds.push('requests');
        counters.push({ name: counterName(record, 'requests'), amount: 1, limit: rpm });
      }
      if (tpm !== undefined) {
        kinds.push('tokens');
        counters.push({ name: counterName(record, 'tokens'), amount: tokens, limit: tpm });
      }
      const at = now();
      const result = await store.countInWindow({ counters, windowMs: RATE_WINDOW_MS, now: at });
      if (result.ok)
        return { ok: true, admission: { at, windowEnd: result.windowEnd, tokens: tpm === undefined ? 0 : tokens } };
      const refused = kinds[result.refused ?? 0]!;
      const reset = new Date(result.windowEnd).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const retryAfter = Math.max(1, Math.ceil((result.windowEnd - at) / 1000));
      // The headers the API sends with a 429: each limit, what is left of it and when it resets.
      const headers: Record<string, string> = { 'retry-after': String(retryAfter) };
      kinds.forEach((kind, i) => {
        const limit = counters[i]!.limit;
        headers[`anthropic-ratelimit-${kind}-limit`] = String(limit);
        headers[`anthropic-ratelimit-${kind}-remaining`] = String(Math.max(0, limit - result.counts[i]!));
        headers[`anthropic-ratelimit-${kind}-reset`] = reset;
      });
      const limit = counters[result.refused ?? 0]!.limit;
      return {
        ok: false,
        limit: refused,
        message:
          refused === 'requests'
            ? `drawdown: key "${record.name}" is limited to ${limit} requests per minute; the limit resets at ${reset} (in ${retryAfter} s)`
            : `drawdown: key "${record.name}" is limited to ${limit} tokens per minute and this request would pass it; the limit resets at ${reset} (in ${retryAfter} s)`,
        headers,
      };
    },

    /** Counts the tokens the request really used in the window it was admitted in (a no-op once that window is over). */
    async settle(record: KeyRecord, admission: RateAdmission | undefined, usedTokens: number): Promise<void> {
      if (!admission || admission.tokens === 0) return;
      const difference = usedTokens - admission.tokens;
      if (difference === 0 || now() >= admission.windowEnd) return;
      await store.countInWindow({
        counters: [{ name: counterName(record, 'tokens'), amount: difference }],
        windowMs: RATE_WINDOW_MS,
        now: admission.at,
      });
    },
  };
}

export type KeyRateLimiter = ReturnType<typeof keyRateLimiter>;

/** Answers a refusal as the API does: 429 `rate_limit_error` with `retry-after`, which the SDKs wait for and retry. */
export function sendRateRefusal(res: ServerResponse, decision: Extract<RateDecision, { ok: false }>): void {
  if (decision.tooLarge) sendError(res, 'invalid_request_error', decision.message);
  else sendError(res, 'rate_limit_error', decision.message, { retry: true, headers: decision.headers });
}
