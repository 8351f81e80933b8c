import type { EntryMeta } from '../contracts/store.js';
import type { Nanos } from '../money.js';
import type { CostCategory, RateCard } from '../rate-card/rate-card.js';
import type { BillableQuantities } from '../rate-card/usage.js';
import { BUCKET_MS, type BucketWidth, type UsageReportBucket } from './usage-report.js';

/** The token categories compared, named as the usage report names them. */
export const TOKEN_CATEGORIES = [
  'uncached_input_tokens',
  'cache_read_input_tokens',
  'cache_creation_5m_input_tokens',
  'cache_creation_1h_input_tokens',
  'output_tokens',
  'web_search_requests',
] as const;
export type TokenCategory = (typeof TOKEN_CATEGORIES)[number];
export type TokenCounts = Record<TokenCategory, number>;

const RATE_CARD_CATEGORY: Record<TokenCategory, CostCategory> = {
  uncached_input_tokens: 'input',
  cache_read_input_tokens: 'cache_read',
  cache_creation_5m_input_tokens: 'cache_write_5m',
  cache_creation_1h_input_tokens: 'cache_write_1h',
  output_tokens: 'output',
  web_search_requests: 'web_search',
};

/** What people call each category, for the CLI. */
export const CATEGORY_LABELS: Record<TokenCategory, string> = {
  uncached_input_tokens: 'uncached input',
  cache_read_input_tokens: 'cache read',
  cache_creation_5m_input_tokens: '5-minute writes',
  cache_creation_1h_input_tokens: '1-hour writes',
  output_tokens: 'output',
  web_search_requests: 'web searches',
};

const zero = (): TokenCounts => ({
  uncached_input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_5m_input_tokens: 0,
  cache_creation_1h_input_tokens: 0,
  output_tokens: 0,
  web_search_requests: 0,
});

/** A settled charge the ledger holds for a pool that draws on a known API key. */
export interface LedgerCharge {
  pool: string;
  apiKeyId: string;
  settledAt: number;
  cost: Nanos;
  meta: EntryMeta;
}

/** The match key: API key × model × bucket × service tier × inference geo × speed. */
export interface GroupKey {
  apiKeyId: string;
  model: string;
  bucketStart: number;
  serviceTier: string;
  inferenceGeo: string;
  speed: string;
}

export interface CategoryDrift {
  category: TokenCategory;
  ledger: number;
  reported: number;
  /** reported − ledger: positive when Anthropic counted more than the ledger. */
  tokens: number;
  /** The same difference at the rate card's price (absent when the model has no price). */
  nanos?: Nanos;
}

export type GroupStatus = 'match' | 'drift' | 'not-reported-yet' | 'not-final';

export interface ReconciledGroup extends GroupKey {
  bucketEnd: number;
  /** Pools drawing on this API key (more than one: the match is not exact per pool). */
  pools: string[];
  status: GroupStatus;
  /** Why, in one sentence, when the status is not `match`. */
  reason?: string;
  ledger: TokenCounts;
  reported: TokenCounts;
  /** Categories whose counts differ. */
  drift: CategoryDrift[];
  /** What the ledger charged for this group. */
  chargedNanos: Nanos;
  /** Anthropic's counts at the rate card's price (absent for a model the card does not know). */
  reportedPriceNanos?: Nanos;
  /** Sum of the categories' absolute dollar differences plus any pricing difference: what the tolerance is checked against. */
  driftNanos?: Nanos;
  requests: number;
}

export interface CompareInput {
  charges: readonly LedgerCharge[];
  buckets: readonly UsageReportBucket[];
  bucketWidth: BucketWidth;
  rateCard: RateCard;
  /** Pools per API key id. */
  poolsByKey: ReadonlyMap<string, string[]>;
  now: number;
  /** A bucket is final this long after it ends; before that a shortfall is "not reported yet". */
  reportingLagMs: number;
  /** A group drifts when its dollar drift exceeds this. */
  toleranceNanos: Nanos;
}

/** Usage without a tier, geo or speed was standard, global and standard-speed. */
function normalized(value: string | null | undefined, fallback: string): string {
  if (value === undefined || value === null || value === '' || value === 'not_available') return fallback;
  return value;
}

function canonicalModel(rateCard: RateCard, model: string, at: number): string {
  try {
    return rateCard.resolve(model, at).model;
  } catch {
    return model;
  }
}

const keyOf = (k: GroupKey): string =>
  [k.apiKeyId, k.model, k.bucketStart, k.serviceTier, k.inferenceGeo, k.speed].join('\u0000');

/** The token counts a ledger entry recorded; writes without a 1-hour share count as 5-minute. */
export function ledgerCounts(meta: EntryMeta): TokenCounts {
  const writes = meta.cacheWriteTokens ?? 0;
  const oneHour = Math.min(writes, meta.cacheWrite1hTokens ?? 0);
  return {
    uncached_input_tokens: meta.inputTokens ?? 0,
    cache_read_input_tokens: meta.cacheReadTokens ?? 0,
    cache_creation_5m_input_tokens: writes - oneHour,
    cache_creation_1h_input_tokens: oneHour,
    output_tokens: meta.outputTokens ?? 0,
    web_search_requests: meta.webSearchRequests ?? 0,
  };
}

function reportedCounts(row: UsageReportBucket['results'][number]): TokenCounts {
  return {
    uncached_input_tokens: row.uncached_input_tokens ?? 0,
    cache_read_input_tokens: row.cache_read_input_tokens ?? 0,
    cache_creation_5m_input_tokens: row.cache_creation?.ephemeral_5m_input_tokens ?? 0,
    cache_creation_1h_input_tokens: row.cache_creation?.ephemeral_1h_input_tokens ?? 0,
    output_tokens: row.output_tokens ?? 0,
    web_search_requests: row.server_tool_use?.web_search_requests ?? 0,
  };
}

function add(into: TokenCounts, more: TokenCounts): void {
  for (const c of TOKEN_CATEGORIES) into[c] += more[c];
}

function quantities(counts: TokenCounts, key: GroupKey): BillableQuantities {
  return {
    inputTokens: counts.uncached_input_tokens,
    outputTokens: counts.output_tokens,
    cacheWrite5mTokens: counts.cache_creation_5m_input_tokens,
    cacheWrite1hTokens: counts.cache_creation_1h_input_tokens,
    cacheReadTokens: counts.cache_read_input_tokens,
    webSearchRequests: counts.web_search_requests,
    batch: key.serviceTier === 'batch',
    usInference: key.inferenceGeo === 'us',
    ...(key.speed === 'fast' && { fast: true }),
  };
}

/** Rate-card price of each category's count (undefined for a model without a price). */
function priceLines(
  rateCard: RateCard,
  key: GroupKey,
  counts: TokenCounts,
): { total: Nanos; lines: Partial<Record<TokenCategory, Nanos>> } | undefined {
  try {
    const breakdown = rateCard.priceQuantities(key.model, quantities(counts, key), { at: key.bucketStart });
    const lines: Partial<Record<TokenCategory, Nanos>> = {};
    for (const c of TOKEN_CATEGORIES)
      lines[c] = breakdown.lines.find((l) => l.category === RATE_CARD_CATEGORY[c])?.nanos ?? 0;
    return { total: breakdown.total, lines };
  } catch {
    return undefined;
  }
}

interface Accumulated extends GroupKey {
  ledger: TokenCounts;
  reported: TokenCounts;
  charged: Nanos;
  requests: number;
  seenInReport: boolean;
}

/**
 * Matches the ledger's charges with Anthropic's usage report group by group (API key × model ×
 * bucket × service tier × inference geo × speed) and names every difference in tokens and, at
 * the rate card's prices, in dollars. A bucket that has not been final for `reportingLagMs` yet is
 * "not reported yet" (nothing reported) or "not final" (some reported), never drift.
 */
export function compareUsage(input: CompareInput): ReconciledGroup[] {
  const width = BUCKET_MS[input.bucketWidth];
  const groups = new Map<string, Accumulated>();
  const slot = (key: GroupKey): Accumulated => {
    const id = keyOf(key);
    let g = groups.get(id);
    if (!g) {
      g = { ...key, ledger: zero(), reported: zero(), charged: 0, requests: 0, seenInReport: false };
      groups.set(id, g);
    }
    return g;
  };
  // Buckets are aligned to UTC starts, as the API snaps them.
  const bucketOf = (at: number): number => Math.floor(at / width) * width;

  for (const charge of input.charges) {
    const bucketStart = bucketOf(charge.settledAt);
    const model = canonicalModel(input.rateCard, charge.meta.model ?? 'unknown', bucketStart);
    const g = slot({
      apiKeyId: charge.apiKeyId,
      model,
      bucketStart,
      serviceTier: normalized(charge.meta.serviceTier, 'standard'),
      inferenceGeo: normalized(charge.meta.inferenceGeo, 'global'),
      speed: normalized(charge.meta.speed, 'standard'),
    });
    add(g.ledger, ledgerCounts(charge.meta));
    g.charged += charge.cost;
    g.requests += 1;
  }
  const reportedBuckets = new Set<number>();
  for (const bucket of input.buckets) {
    const bucketStart = bucketOf(Date.parse(bucket.starting_at));
    reportedBuckets.add(bucketStart);
    for (const row of bucket.results) {
      if (!row.api_key_id || !input.poolsByKey.has(row.api_key_id)) continue;
      const g = slot({
        apiKeyId: row.api_key_id,
        model: canonicalModel(input.rateCard, row.model ?? 'unknown', bucketStart),
        bucketStart,
        serviceTier: normalized(row.service_tier, 'standard'),
        inferenceGeo: normalized(row.inference_geo, 'global'),
        speed: normalized(row.speed, 'standard'),
      });
      add(g.reported, reportedCounts(row));
      g.seenInReport = true;
    }
  }

  const out: ReconciledGroup[] = [];
  for (const g of groups.values()) {
    const key: GroupKey = {
      apiKeyId: g.apiKeyId,
      model: g.model,
      bucketStart: g.bucketStart,
      serviceTier: g.serviceTier,
      inferenceGeo: g.inferenceGeo,
      speed: g.speed,
    };
    const ledgerPrice = priceLines(input.rateCard, key, g.ledger);
    const reportedPrice = priceLines(input.rateCard, key, g.reported);
    const drift: CategoryDrift[] = TOKEN_CATEGORIES.filter((c) => g.ledger[c] !== g.reported[c]).map((c) => ({
      category: c,
      ledger: g.ledger[c],
      reported: g.reported[c],
      tokens: g.reported[c] - g.ledger[c],
      ...(ledgerPrice && reportedPrice && { nanos: (reportedPrice.lines[c] ?? 0) - (ledgerPrice.lines[c] ?? 0) }),
    }));
    const priced = ledgerPrice !== undefined && reportedPrice !== undefined;
    const driftNanos = priced
      ? drift.reduce((sum, d) => sum + Math.abs(d.nanos ?? 0), 0) +
        // Same tokens, different money: the ledger priced them otherwise than the card does.
        (drift.length === 0 ? Math.abs(reportedPrice.total - g.charged) : 0)
      : undefined;
    const bucketEnd = g.bucketStart + width;
    const final = bucketEnd + input.reportingLagMs <= input.now;
    const differs = drift.length > 0 || (driftNanos ?? 0) > 0;
    // Without a price, any token difference counts, and so does money charged that Anthropic never reported.
    const beyond =
      driftNanos === undefined
        ? drift.length > 0 || (!g.seenInReport && g.charged > input.toleranceNanos)
        : driftNanos > input.toleranceNanos;
    let status: GroupStatus = 'match';
    let reason: string | undefined;
    if (!final && (differs || !reportedBuckets.has(g.bucketStart))) {
      status = g.seenInReport ? 'not-final' : 'not-reported-yet';
      reason = g.seenInReport
        ? 'Anthropic may still be adding to this bucket'
        : 'Anthropic has not reported this bucket yet';
    } else if (beyond) {
      status = 'drift';
      reason = !g.seenInReport
        ? 'in the ledger, not in Anthropic’s report'
        : g.requests === 0
          ? 'in Anthropic’s report, not in the ledger'
          : drift.length === 0
            ? 'same tokens, priced differently by the ledger'
            : 'token counts differ';
      if (driftNanos === undefined) reason += ` (no price for ${g.model})`;
    }
    out.push({
      ...key,
      bucketEnd,
      pools: input.poolsByKey.get(g.apiKeyId) ?? [],
      status,
      ...(reason !== undefined && { reason }),
      ledger: g.ledger,
      reported: g.reported,
      drift,
      chargedNanos: g.charged,
      ...(reportedPrice && { reportedPriceNanos: reportedPrice.total }),
      ...(driftNanos !== undefined && { driftNanos }),
      requests: g.requests,
    });
  }
  return out.sort(
    (a, b) =>
      a.bucketStart - b.bucketStart ||
      a.apiKeyId.localeCompare(b.apiKeyId) ||
      a.model.localeCompare(b.model) ||
      a.serviceTier.localeCompare(b.serviceTier),
  );
}
