import type { LimitSignal } from '../contracts/pool.js';
import { headerRecord, rateLimitHeaderSubset } from './rate-limit-headers.js';

/**
 * Why the API refused to spend from the pool behind a request, when that refusal means "this pool
 * cannot pay now" rather than "try again in a moment":
 * - `plan-limit`: 429 with `anthropic-ratelimit-unified-status: rejected` (a spent plan window);
 * - `payment-required`: 402 `billing_error` (spend limit, billing problem);
 * - `credit-balance-too-low`: 400 with "Your credit balance is too low…".
 */
export type RefusalKind = 'plan-limit' | 'payment-required' | 'credit-balance-too-low';

const CREDIT_TOO_LOW = /credit balance is too low/i;

/** The shape of an `@anthropic-ai/sdk` APIError that matters here (read structurally). */
interface ApiErrorLike {
  status?: number;
  headers?: Headers | Record<string, string>;
  type?: string | null;
  apiMessage?: string | null;
  message?: string;
  error?: { error?: { type?: string; message?: string } };
}

const asApiError = (error: unknown): ApiErrorLike | undefined =>
  typeof error === 'object' && error !== null && typeof (error as ApiErrorLike).status === 'number'
    ? (error as ApiErrorLike)
    : undefined;

const apiMessage = (e: ApiErrorLike): string | undefined => e.apiMessage ?? e.error?.error?.message ?? e.message;
const apiType = (e: ApiErrorLike): string | undefined => e.type ?? e.error?.error?.type ?? undefined;

/** Classifies a refusal from its status, unified status header and message; undefined for anything else. */
export function refusalKind(
  status: number,
  headers: Record<string, string>,
  message: string | undefined,
): RefusalKind | undefined {
  if (status === 429 && headers['anthropic-ratelimit-unified-status'] === 'rejected') return 'plan-limit';
  if (status === 402) return 'payment-required';
  if (status === 400 && message !== undefined && CREDIT_TOO_LOW.test(message)) return 'credit-balance-too-low';
  return undefined;
}

/** Classifies an error thrown by the Anthropic SDK (or anything shaped like its APIError). */
export function classifyRefusal(error: unknown): RefusalKind | undefined {
  const e = asApiError(error);
  if (!e) return undefined;
  return refusalKind(e.status!, e.headers ? headerRecord(e.headers) : {}, apiMessage(e));
}

/** The `LimitSignal` a pool receives for an API error reply; undefined for errors without a status. */
export function errorSignal(error: unknown, at: number): LimitSignal | undefined {
  const e = asApiError(error);
  if (!e) return undefined;
  const type = apiType(e);
  const message = apiMessage(e);
  return {
    source: 'error',
    status: e.status!,
    ...(type !== undefined && { errorType: type }),
    ...(message !== undefined && { message }),
    ...(e.headers && { headers: rateLimitHeaderSubset(e.headers) }),
    at,
  };
}
