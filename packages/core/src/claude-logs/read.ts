import { createHash } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import { localDates } from '../calendar.js';
import { isDrawdownError } from '../errors.js';
import type { Nanos } from '../money.js';
import { defaultRateCard, type RateCard } from '../rate-card/rate-card.js';
import { loadCache, emptyCache, saveCache, tailAt, type CachedFile, type ReaderCache } from './cache.js';
import { claudeConfigDirs, defaultCacheFile, sessionLogFiles } from './files.js';
import { noSkips, scanFile, SKIP_REASONS, type FileScan, type LoggedResponse, type SkipCounts } from './scan.js';

/** Spend and tokens of one local day and one model, from Claude Code's own session logs. */
export interface ClaudeUsageRow {
  day: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Cost at API prices in nanodollars; undefined when the rate card does not know the model (never shown as $0). */
  cost?: Nanos;
  /** Part of `cost` priced by rate-card rows marked unconfirmed ([U]). */
  unconfirmedCost: Nanos;
}

/**
 * What the local Claude Code used, read from its session logs and priced at API rates. It is
 * *observed*: drawdown saw it happen afterwards and enforced nothing on it.
 */
export interface ClaudeCodeUsage {
  /** Claude Code configuration directories that were read (`CLAUDE_CONFIG_DIR`, else `~/.config/claude` and `~/.claude`). */
  dirs: string[];
  /** Session log files found. */
  files: number;
  /** Assistant log lines that carried usage, repeats and refused lines included. */
  usageLines: number;
  /** API responses in the range after de-duplication by message id and request id (metered ones excluded). */
  requests: number;
  /** Lines skipped as repeats of a response already counted (streamed replies write one line per content block). */
  duplicates: number;
  /** Lines not counted, by reason: not JSON (garbage), cut short (truncated), refused counts such as 1e30 (absurd), usage without a model or time (malformed). */
  skipped: SkipCounts;
  rows: ClaudeUsageRow[];
  /** Sum of the priced rows, nanodollars. */
  total: Nanos;
  /** How much of `total` rests on prices marked unconfirmed ([U]) in the rate card, and over how many responses. */
  unconfirmed: { cost: Nanos; requests: number; models: string[] };
  /** Models the rate card does not price, with how many responses each; their cost is unknown, not zero. */
  unpriced: Array<{ model: string; requests: number; reason: string }>;
  /** Responses in the range that drawdown's own ledger already holds (matched by request or message id): left out here, counted there. */
  metered: { requests: number; cost: Nanos };
  /** The latest plan-limit message Claude Code logged ("You've hit your session limit · resets 3pm"), if any. */
  lastLimitMessage?: { text: string; at: number };
  /** What this read had to look at: files and bytes read anew (the rest came from the cache). */
  read: { files: number; bytes: number; cached: number };
}

export interface ReadClaudeUsageOptions {
  env: NodeJS.ProcessEnv;
  /** IANA zone that decides the day of each response. */
  timeZone: string;
  /** Only responses on or after / before these local days (YYYY-MM-DD). */
  fromDay?: string;
  toDay?: string;
  rateCard?: RateCard;
  /**
   * Request and message ids drawdown metered itself (see `meteredRequestIds`): such responses are
   * counted in the ledger, so they are left out here and reported under `metered`.
   */
  metered?: ReadonlySet<string>;
  /** Where offsets and per-response figures are kept between reads (default: the user's cache directory); false reads everything every time. */
  cacheFile?: string | false;
}

function priceFingerprint(rateCard: RateCard): string {
  return createHash('sha256')
    .update(JSON.stringify([rateCard.rows(), rateCard.modifiers, rateCard.unknownModel]))
    .digest('base64url');
}

/** The usage object the rate card reads, rebuilt from a logged response. */
function usageOf(r: LoggedResponse): Record<string, unknown> {
  const [tier, speed, geo] = r[12] === '' ? [] : r[12].split('|');
  return {
    input_tokens: r[4],
    output_tokens: r[5],
    cache_read_input_tokens: r[6],
    cache_creation_input_tokens: r[7],
    ...(r[8] >= 0 && { cache_creation: { ephemeral_5m_input_tokens: r[8], ephemeral_1h_input_tokens: r[9] } }),
    server_tool_use: { web_search_requests: r[10], web_fetch_requests: r[11] },
    ...(tier && { service_tier: tier }),
    ...(speed && { speed }),
    ...(geo && { inference_geo: geo }),
  };
}

const sameFile = (entry: CachedFile, info: Stats): boolean =>
  entry.ino === info.ino && entry.size === info.size && entry.mtimeMs === info.mtimeMs;

/** Reads what is new in one log into its cache entry; returns the bytes read, or 0 when nothing changed. */
function refreshFile(file: string, cache: ReaderCache, buffer: Buffer): number {
  let info: Stats;
  try {
    info = statSync(file);
  } catch {
    return 0; // removed since it was listed
  }
  const entry = cache.files[file];
  if (entry && sameFile(entry, info)) return 0;
  let appended = false;
  try {
    appended =
      entry !== undefined &&
      entry.ino === info.ino &&
      info.size >= entry.offset &&
      tailAt(file, entry.offset) === entry.tail;
  } catch {
    appended = false;
  }
  const from = appended ? { offset: entry!.offset, tail: entry!.tail } : { offset: 0, tail: '' };
  let scan: FileScan;
  try {
    scan = scanFile(file, from, buffer);
  } catch {
    return 0; // unreadable now: what an earlier read found still counts
  }
  const previous = appended ? entry : undefined;
  const skipped = noSkips();
  for (const reason of SKIP_REASONS) skipped[reason] = (previous?.skipped[reason] ?? 0) + scan.skipped[reason];
  const limit =
    previous?.lastLimitMessage && (!scan.lastLimitMessage || previous.lastLimitMessage.at > scan.lastLimitMessage.at)
      ? previous.lastLimitMessage
      : scan.lastLimitMessage;
  cache.files[file] = {
    size: info.size,
    mtimeMs: info.mtimeMs,
    ino: info.ino,
    offset: scan.offset,
    tail: scan.tail,
    usageLines: (previous?.usageLines ?? 0) + scan.usageLines,
    skipped,
    unfinished: scan.unfinished,
    responses: previous ? previous.responses.concat(scan.responses) : scan.responses,
    ...(limit && { lastLimitMessage: limit }),
  };
  return Math.max(1, info.size - from.offset);
}

/** Brings each log's cache entry up to date: unchanged logs are not opened, grown ones are read from where the last read stopped. */
function refresh(files: readonly string[], cache: ReaderCache): { changed: boolean; files: number; bytes: number } {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let changed = false;
  let readFiles = 0;
  let bytes = 0;
  for (const file of files) {
    const read = refreshFile(file, cache, buffer);
    if (read === 0) continue;
    changed = true;
    readFiles++;
    bytes += read;
  }
  const listed = new Set(files);
  for (const file of Object.keys(cache.files))
    if (!listed.has(file)) {
      delete cache.files[file];
      changed = true;
    }
  return { changed, files: readFiles, bytes };
}

/**
 * Reads what the local Claude Code has used, from its session logs (`projects/**\/*.jsonl`), and
 * prices it at API rates. A streamed reply is logged once per content block with the same message
 * id, request id and usage, and resumed sessions copy earlier lines: each response counts once,
 * with its most complete usage. Lines are delimited on the bytes and only those that can carry usage
 * are parsed; what was read is kept in a cache file, so a repeated read only reads what is new.
 */
export async function readClaudeCodeUsage(options: ReadClaudeUsageOptions): Promise<ClaudeCodeUsage> {
  const rateCard = options.rateCard ?? defaultRateCard;
  const dirs = claudeConfigDirs(options.env);
  const files = sessionLogFiles(dirs);
  const prices = priceFingerprint(rateCard);
  const cacheFile = options.cacheFile === undefined ? defaultCacheFile(options.env) : options.cacheFile;
  const cache = cacheFile === false ? emptyCache(prices) : await loadCache(cacheFile, prices);
  const refreshed = refresh(files, cache);

  // De-duplicate across all logs, in a stable order (files sorted, lines in order).
  const responses = new Map<string, LoggedResponse>();
  const skipped = noSkips();
  let usageLines = 0;
  let lastLimitMessage: { text: string; at: number } | undefined;
  for (const file of files) {
    const entry = cache.files[file];
    if (!entry) continue;
    usageLines += entry.usageLines;
    for (const reason of SKIP_REASONS) skipped[reason] += entry.skipped[reason];
    if (entry.unfinished) skipped.truncated++;
    const limit = entry.lastLimitMessage;
    if (limit && (!lastLimitMessage || limit.at > lastLimitMessage.at)) lastLimitMessage = limit;
    for (const response of entry.responses) {
      const key = `${response[0]}:${response[1]}`;
      const seen = responses.get(key);
      // Keep the most complete usage of a response (the last block of a stream carries the final output count).
      if (!seen || response[5] > seen[5]) responses.set(key, response);
    }
  }

  const offsets = (cache.zones[options.timeZone] ??= {});
  const knownDays = Object.keys(offsets).length;
  const dayOf = localDates(options.timeZone, offsets);
  const rows = new Map<string, ClaudeUsageRow>();
  const unpriced = new Map<string, { requests: number; reason: string }>();
  const unconfirmed = { cost: 0, requests: 0, models: new Set<string>() };
  const metered = { requests: 0, cost: 0 };
  let priced = false;
  let counted = 0;
  for (const response of responses.values()) {
    const day = dayOf(response[2]);
    if (
      (options.fromDay !== undefined && day < options.fromDay) ||
      (options.toDay !== undefined && day > options.toDay)
    )
      continue;
    const model = response[3];
    if (response[13] === -1) {
      priced = true;
      try {
        const breakdown = rateCard.price(model, usageOf(response), { at: response[2] });
        response[13] = breakdown.total;
        response[14] = breakdown.evidence === 'U' ? 1 : 0;
      } catch (error) {
        if (!isDrawdownError(error)) throw error;
        response[13] = null;
        if (!unpriced.has(model)) unpriced.set(model, { requests: 0, reason: error.message });
      }
    }
    const cost = response[13];
    if (options.metered && (options.metered.has(response[1]) || options.metered.has(response[0]))) {
      metered.requests++;
      metered.cost += cost ?? 0;
      continue;
    }
    counted++;
    const key = `${day}\u0000${model}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        day,
        model,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        cost: 0,
        unconfirmedCost: 0,
      };
      rows.set(key, row);
    }
    row.requests++;
    row.inputTokens += response[4];
    row.outputTokens += response[5];
    row.cacheReadTokens += response[6];
    row.cacheWriteTokens += response[7];
    if (cost === null) {
      row.cost = undefined;
      const seen = unpriced.get(model) ?? { requests: 0, reason: unpricedReason(rateCard, response) };
      unpriced.set(model, { ...seen, requests: seen.requests + 1 });
    } else {
      if (row.cost !== undefined) row.cost += cost;
      if (response[14] === 1) {
        row.unconfirmedCost += cost;
        unconfirmed.cost += cost;
        unconfirmed.requests++;
        unconfirmed.models.add(model);
      }
    }
  }
  const learned = Object.keys(offsets).length !== knownDays;
  if (cacheFile !== false && (refreshed.changed || priced || learned)) await saveCache(cacheFile, cache);

  const sorted = [...rows.values()].sort((a, b) =>
    a.day === b.day ? a.model.localeCompare(b.model) : a.day.localeCompare(b.day),
  );
  return {
    dirs,
    files: files.length,
    usageLines,
    requests: counted,
    duplicates: usageLines - responses.size - (skipped.absurd + skipped.malformed),
    skipped,
    rows: sorted,
    total: sorted.reduce((sum, row) => sum + (row.cost ?? 0), 0),
    unconfirmed: { cost: unconfirmed.cost, requests: unconfirmed.requests, models: [...unconfirmed.models].sort() },
    unpriced: [...unpriced]
      .filter(([, u]) => u.requests > 0)
      .map(([model, u]) => ({ model, ...u }))
      .sort((a, b) => a.model.localeCompare(b.model)),
    metered,
    ...(lastLimitMessage && { lastLimitMessage }),
    read: { files: refreshed.files, bytes: refreshed.bytes, cached: files.length - refreshed.files },
  };
}

/** Why the rate card refuses a response whose refusal came from the cache (the message is not kept there). */
function unpricedReason(rateCard: RateCard, response: LoggedResponse): string {
  try {
    rateCard.price(response[3], usageOf(response), { at: response[2] });
    return 'the rate card could not price it';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
