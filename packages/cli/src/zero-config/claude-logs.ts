import { createReadStream, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { defaultRateCard, isDrawdownError, localDate, type RateCard } from '@drawdown/core';

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
  cost?: number;
}

export interface ClaudeCodeUsage {
  /** Claude Code configuration directories that were read (`CLAUDE_CONFIG_DIR`, else `~/.config/claude` and `~/.claude`). */
  dirs: string[];
  /** Session log files read. */
  files: number;
  /** Assistant log lines that carried usage, duplicates included. */
  usageLines: number;
  /** API responses after de-duplication by message id and request id. */
  requests: number;
  /** Lines skipped as repeats of a response already counted (streamed replies write one line per content block). */
  duplicates: number;
  rows: ClaudeUsageRow[];
  /** Sum of the priced rows, nanodollars. */
  total: number;
  /** Models the rate card does not price, with how many responses each; their cost is unknown, not zero. */
  unpriced: Array<{
    model: string;
    requests: number /** Why the rate card could not price it (unknown model, unreadable usage). */;
    reason: string;
  }>;
  /** The latest plan-limit message Claude Code logged ("You've hit your session limit · resets 3pm"), if any. */
  lastLimitMessage?: { text: string; at: number };
}

export interface ReadClaudeUsageOptions {
  env: NodeJS.ProcessEnv;
  /** IANA zone that decides the day of each response. */
  timeZone: string;
  /** Only responses on or after / before these local days (YYYY-MM-DD). */
  fromDay?: string;
  toDay?: string;
  rateCard?: RateCard;
}

/** Where Claude Code keeps its data: `CLAUDE_CONFIG_DIR` (comma-separated for several), else both default places. */
export function claudeConfigDirs(env: NodeJS.ProcessEnv): string[] {
  const explicit = env.CLAUDE_CONFIG_DIR?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  if (explicit && explicit.length > 0) return [...new Set(explicit.map((d) => path.resolve(d)))];
  const home = env.HOME || env.USERPROFILE || homedir();
  return [path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'claude'), path.join(home, '.claude')];
}

async function jsonlFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((e) => e.isFile() && e.name.endsWith('.jsonl')).map((e) => path.join(e.parentPath, e.name));
}

interface LoggedResponse {
  key: string;
  at: number;
  model: string;
  usage: Record<string, unknown>;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Claude Code's own words when a plan window runs out or warns, logged as a synthetic assistant line. */
function limitMessage(line: string): { text: string; at: number } | undefined {
  if (!line.includes('"<synthetic>"') || !/limit|extra usage/i.test(line)) return undefined;
  try {
    const entry = JSON.parse(line) as {
      timestamp?: string;
      message?: { content?: Array<{ type?: string; text?: string }> };
    };
    const text = entry.message?.content?.find((c) => c.type === 'text')?.text;
    const at = Date.parse(String(entry.timestamp));
    return text !== undefined && /limit|extra usage/i.test(text) && !Number.isNaN(at)
      ? { text: text.split('\n')[0]!, at }
      : undefined;
  } catch {
    return undefined;
  }
}

/** One assistant line of a session log with its usage, or undefined for every other kind of line. */
function parseLine(line: string, fallbackKey: string): LoggedResponse | undefined {
  // Most lines are prompts, attachments and snapshots: skip them before parsing.
  if (!line.includes('"usage"') || !line.includes('"assistant"')) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const message = entry.message as Record<string, unknown> | undefined;
  if (entry.type !== 'assistant' || typeof message !== 'object' || message === null) return undefined;
  const usage = message.usage as Record<string, unknown> | undefined;
  const model = message.model;
  // "<synthetic>" lines are messages Claude Code made up itself (errors, interruptions): no API call.
  if (typeof usage !== 'object' || usage === null || typeof model !== 'string' || model === '<synthetic>')
    return undefined;
  const at = Date.parse(String(entry.timestamp));
  if (Number.isNaN(at)) return undefined;
  const id = typeof message.id === 'string' ? message.id : undefined;
  const requestId = typeof entry.requestId === 'string' ? entry.requestId : undefined;
  return {
    key: id !== undefined || requestId !== undefined ? `${id ?? ''}:${requestId ?? ''}` : fallbackKey,
    at,
    model,
    usage,
  };
}

/**
 * The usage as the rate card reads it. Claude Code logs modifiers it did not get from the API as
 * empty strings (`"inference_geo": ""` in 2.1.332); empty means "not reported", i.e. the default.
 */
function billableUsage(usage: Record<string, unknown>): Record<string, unknown> {
  const out = { ...usage };
  for (const key of ['inference_geo', 'service_tier', 'speed'])
    if (out[key] === '' || out[key] === null) delete out[key];
  return out;
}

/**
 * Reads what the local Claude Code has used, from its session logs (`projects/**\/*.jsonl`), and
 * prices it at API rates. A streamed reply is logged once per content block with the same message
 * id, request id and usage, and resumed sessions copy earlier lines: each response counts once.
 */
export async function readClaudeCodeUsage(options: ReadClaudeUsageOptions): Promise<ClaudeCodeUsage> {
  const rateCard = options.rateCard ?? defaultRateCard;
  const dirs = claudeConfigDirs(options.env);
  const files = (await Promise.all(dirs.map((dir) => jsonlFiles(path.join(dir, 'projects'))))).flat();
  const responses = new Map<string, LoggedResponse>();
  let usageLines = 0;
  let lastLimitMessage: { text: string; at: number } | undefined;
  for (const file of files) {
    // Line by line: session logs grow to hundreds of megabytes, mostly prompts and snapshots.
    let i = 0;
    try {
      for await (const line of createInterface({
        input: createReadStream(file, { encoding: 'utf8' }),
        crlfDelay: Infinity,
      })) {
        i += 1;
        const limit = limitMessage(line);
        if (limit && (!lastLimitMessage || limit.at > lastLimitMessage.at)) lastLimitMessage = limit;
        const response = parseLine(line, `${file}:${i}`);
        if (!response) continue;
        usageLines += 1;
        const seen = responses.get(response.key);
        // Keep the most complete usage of a response (the last block of a stream carries the final output count).
        if (!seen || num(response.usage.output_tokens) >= num(seen.usage.output_tokens))
          responses.set(response.key, response);
      }
    } catch {
      // A log removed or unreadable while reading: what was read counts, the rest is skipped.
    }
  }
  const rows = new Map<string, ClaudeUsageRow>();
  const unpriced = new Map<string, { requests: number; reason: string }>();
  let counted = 0;
  for (const response of responses.values()) {
    const day = localDate(response.at, options.timeZone);
    if (
      (options.fromDay !== undefined && day < options.fromDay) ||
      (options.toDay !== undefined && day > options.toDay)
    )
      continue;
    counted += 1;
    const key = `${day}\u0000${response.model}`;
    const row = rows.get(key) ?? {
      day,
      model: response.model,
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      cost: 0,
    };
    const usage = response.usage;
    row.requests += 1;
    row.inputTokens += num(usage.input_tokens);
    row.outputTokens += num(usage.output_tokens);
    row.cacheReadTokens += num(usage.cache_read_input_tokens);
    row.cacheWriteTokens += num(usage.cache_creation_input_tokens);
    let cost: number | undefined;
    try {
      cost = rateCard.price(response.model, billableUsage(usage), { at: response.at }).total;
    } catch (error) {
      if (!isDrawdownError(error)) throw error;
      const seen = unpriced.get(response.model);
      unpriced.set(response.model, { requests: (seen?.requests ?? 0) + 1, reason: seen?.reason ?? error.message });
    }
    row.cost = cost === undefined || row.cost === undefined ? undefined : row.cost + cost;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) =>
    a.day === b.day ? a.model.localeCompare(b.model) : a.day.localeCompare(b.day),
  );
  return {
    dirs,
    files: files.length,
    usageLines,
    requests: counted,
    duplicates: usageLines - responses.size,
    rows: sorted,
    total: sorted.reduce((sum, row) => sum + (row.cost ?? 0), 0),
    unpriced: [...unpriced].map(([model, u]) => ({ model, ...u })).sort((a, b) => a.model.localeCompare(b.model)),
    ...(lastLimitMessage && { lastLimitMessage }),
  };
}
