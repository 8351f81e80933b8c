import { closeSync, openSync, readSync } from 'node:fs';

/** Why a log line was not counted. Every skipped line is counted under exactly one reason. */
export type SkipReason = 'garbage' | 'truncated' | 'absurd' | 'malformed';
export const SKIP_REASONS: readonly SkipReason[] = ['garbage', 'truncated', 'absurd', 'malformed'];
export type SkipCounts = Record<SkipReason, number>;
export const noSkips = (): SkipCounts => ({ garbage: 0, truncated: 0, absurd: 0, malformed: 0 });

/**
 * One API response as logged, reduced to what pricing and de-duplication need, as a flat tuple so
 * that tens of thousands of them cost little to keep in the cache file and to read back:
 * `[messageId, requestId, at, model, input, output, cacheRead, cacheWrite, cacheWrite5m,
 * cacheWrite1h, webSearches, webFetches, modifiers, cost, unconfirmed]`. `cacheWrite5m/1h` are -1
 * when the log had no breakdown; `modifiers` is `tier|speed|geo` (empty parts when not reported);
 * `cost` is -1 until priced, null when the rate card could not price it; `unconfirmed` is 1 when the
 * price row is marked [U]. A line without message or request id gets `@<byte offset>` as its id.
 */
export type LoggedResponse = [
  messageId: string,
  requestId: string,
  at: number,
  model: string,
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  cacheWrite5m: number,
  cacheWrite1h: number,
  webSearches: number,
  webFetches: number,
  modifiers: string,
  cost: number | null,
  unconfirmed: 0 | 1,
];

/** What one pass over (the new part of) a file found. */
export interface FileScan {
  /** Byte offset after the last complete line read: where the next read starts. */
  offset: number;
  /** Log lines that carried usage, repeats included. */
  usageLines: number;
  skipped: SkipCounts;
  /** The last line when it has no newline yet: still being written, or cut short. Not consumed. */
  unfinished: boolean;
  /** The last `TAIL_BYTES` before `offset` (latin1), to notice later whether the file was rewritten. */
  tail: string;
  /** One per response (message and request id), with its most complete usage. */
  responses: LoggedResponse[];
  /** Where each response key sits in `responses`. */
  seen: Map<string, number>;
  lastLimitMessage?: { text: string; at: number };
}

/**
 * A single response reports at most about a million prompt tokens and 128K output tokens; ten
 * million leaves a wide margin and still refuses counts such as 1e30 that would swamp every total.
 */
/** How many bytes before the read offset are remembered to recognise the same file later. */
export const TAIL_BYTES = 32;

export const MAX_TOKENS = 10_000_000;
const MAX_TOOL_REQUESTS = 100_000;

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
// Only assistant lines are decoded and parsed; every other line is only delimited.
const ASSISTANT = Buffer.from('"assistant"');
const LIMIT_TEXT = /limit|extra usage/i;

type Checked = number | 'absurd' | 'malformed';

function count(value: unknown, max: number): Checked {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') return 'malformed';
  return Number.isSafeInteger(value) && value >= 0 && value <= max ? value : 'absurd';
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The parts of a parsed assistant line the reader keeps, or why it is refused. */
function response(
  entry: Record<string, unknown>,
  fallbackId: string,
): LoggedResponse | 'absurd' | 'malformed' | undefined {
  const message = entry.message as Record<string, unknown> | undefined;
  if (typeof message !== 'object' || message === null) return 'malformed';
  const usage = message.usage as Record<string, unknown> | undefined;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const model = message.model;
  const at = Date.parse(String(entry.timestamp));
  if (typeof model !== 'string' || model === '' || Number.isNaN(at)) return 'malformed';
  const creation = usage.cache_creation as Record<string, unknown> | undefined | null;
  const tools = usage.server_tool_use as Record<string, unknown> | undefined | null;
  if ((creation != null && typeof creation !== 'object') || (tools != null && typeof tools !== 'object'))
    return 'malformed';
  const counts: Checked[] = [
    count(usage.input_tokens, MAX_TOKENS),
    count(usage.output_tokens, MAX_TOKENS),
    count(usage.cache_read_input_tokens, MAX_TOKENS),
    count(usage.cache_creation_input_tokens, MAX_TOKENS),
    creation == null ? -1 : count(creation.ephemeral_5m_input_tokens, MAX_TOKENS),
    creation == null ? -1 : count(creation.ephemeral_1h_input_tokens, MAX_TOKENS),
    count(tools?.web_search_requests, MAX_TOOL_REQUESTS),
    count(tools?.web_fetch_requests, MAX_TOOL_REQUESTS),
  ];
  if (counts.includes('malformed')) return 'malformed';
  if (counts.includes('absurd')) return 'absurd';
  const [input, output, cacheRead, cacheWrite, write5m, write1h, searches, fetches] = counts as number[];
  const messageId = text(message.id);
  const requestId = text(entry.requestId);
  // Claude Code logs modifiers it did not get from the API as empty strings: "not reported".
  const modifiers = `${text(usage.service_tier)}|${text(usage.speed)}|${text(usage.inference_geo)}`;
  return [
    messageId === '' && requestId === '' ? fallbackId : messageId,
    requestId,
    at,
    model,
    input!,
    output!,
    cacheRead!,
    cacheWrite!,
    write5m!,
    write1h!,
    searches!,
    fetches!,
    modifiers === '||' ? '' : modifiers,
    -1,
    0,
  ];
}

/** Claude Code's own words when a plan window runs out or warns, logged as a synthetic assistant line. */
function limitMessage(entry: Record<string, unknown>): { text: string; at: number } | undefined {
  const content = (entry.message as { content?: unknown } | undefined)?.content;
  const first = Array.isArray(content)
    ? (content as Array<{ type?: unknown; text?: unknown }>).find((c) => c?.type === 'text')?.text
    : undefined;
  const at = Date.parse(String(entry.timestamp));
  return typeof first === 'string' && LIMIT_TEXT.test(first) && !Number.isNaN(at)
    ? { text: first.split('\n')[0]!, at }
    : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const HEAD_LIMIT = 4096;

/** Index after the string that starts at `at` (a quote), or -1 when it does not end within `end`. */
function skipString(view: Buffer, at: number, end: number): number {
  for (let i = at + 1; i < end; i++) {
    const byte = view[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  return -1;
}

const keyIs = (view: Buffer, from: number, to: number, name: string): boolean =>
  to - from === name.length && view.toString('latin1', from, to) === name;

/**
 * What kind of entry a line is, read from the first keys of the object without parsing the line:
 * its top-level `type`, or the `role` of its `message` when the message comes first (Claude Code
 * writes keys in either order). A line with an `attachment` object is an attachment entry. Anything
 * else this cannot settle within the first 4 KB is `unknown`, and then the whole line is searched.
 */
function lineKind(view: Buffer, start: number, end: number): 'assistant' | 'other' | 'unknown' {
  const limit = Math.min(end, start + HEAD_LIMIT);
  let inMessage = false;
  let i = start + 1;
  while (i < limit) {
    if (view[i] !== QUOTE) return 'unknown';
    const keyEnd = skipString(view, i, limit);
    if (keyEnd === -1 || view[keyEnd] !== COLON) return 'unknown';
    const keyFrom = i + 1;
    const keyTo = keyEnd - 1;
    const value = keyEnd + 1;
    const first = view[value];
    if (first === QUOTE) {
      const valueEnd = skipString(view, value, limit);
      if (valueEnd === -1) return 'unknown';
      if (inMessage ? keyIs(view, keyFrom, keyTo, 'role') : keyIs(view, keyFrom, keyTo, 'type'))
        return keyIs(view, value + 1, valueEnd - 1, 'assistant') ? 'assistant' : 'other';
      i = valueEnd;
    } else if (first === OPEN_BRACE) {
      if (!inMessage && keyIs(view, keyFrom, keyTo, 'message')) {
        inMessage = true;
        i = value + 1;
        continue;
      }
      return !inMessage && keyIs(view, keyFrom, keyTo, 'attachment') ? 'other' : 'unknown';
    } else {
      // null, true, false or a number: up to the next comma or brace.
      let j = value;
      while (j < limit && view[j] !== COMMA && view[j] !== CLOSE_BRACE) j++;
      i = j;
    }
    if (view[i] === COMMA) i++;
    else if (view[i] === CLOSE_BRACE) return inMessage ? 'unknown' : 'other';
    else return 'unknown';
  }
  return 'unknown';
}

/** Whether a line can be an assistant message, the only kind that carries an API response's usage. */
function assistantLine(view: Buffer, start: number, end: number): boolean {
  const kind = lineKind(view, start, end);
  return kind === 'unknown' ? view.subarray(start, end).indexOf(ASSISTANT) !== -1 : kind === 'assistant';
}

/** Scans the complete lines of `view`; returns the index after the last newline. */
function scanLines(view: Buffer, base: number, scan: FileScan): number {
  let start = 0;
  for (;;) {
    const newline = view.indexOf(NEWLINE, start);
    if (newline === -1) return start;
    let end = newline;
    if (end > start && view[end - 1] === 0x0d) end--;
    if (end > start) {
      const closed = view[end - 1] === CLOSE_BRACE;
      if (view[start] !== OPEN_BRACE) {
        if (view.toString('latin1', start, end).trim() !== '') scan.skipped.garbage++;
      } else if (assistantLine(view, start, end)) {
        line(view.toString('utf8', start, end), closed, `@${base + start}`, scan);
      } else if (!closed) {
        scan.skipped.truncated++;
      }
    }
    start = newline + 1;
  }
}

function line(source: string, closed: boolean, fallbackId: string, scan: FileScan): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(source) as Record<string, unknown>;
  } catch {
    scan.skipped[closed ? 'garbage' : 'truncated']++;
    return;
  }
  // Other lines may hold a "usage" too (a subagent's result inside a tool result): not API calls of this session.
  if (entry === null || typeof entry !== 'object' || entry.type !== 'assistant') return;
  const model = (entry.message as { model?: unknown } | undefined)?.model;
  // "<synthetic>" lines are messages Claude Code made up itself (errors, limits): no API call.
  if (model === '<synthetic>') {
    const limit = limitMessage(entry);
    if (limit && (!scan.lastLimitMessage || limit.at >= scan.lastLimitMessage.at)) scan.lastLimitMessage = limit;
    return;
  }
  const found = response(entry, fallbackId);
  if (found === undefined) return;
  scan.usageLines++;
  if (typeof found === 'string') {
    scan.skipped[found]++;
    return;
  }
  // A streamed reply repeats its usage on every content block: keep one, the most complete.
  const key = `${found[0]}:${found[1]}`;
  const seen = scan.seen.get(key);
  if (seen === undefined) {
    scan.seen.set(key, scan.responses.length);
    scan.responses.push(found);
  } else if (found[5] > scan.responses[seen]![5]) scan.responses[seen] = found;
}

const CHUNK = 1 << 20;

/**
 * Reads a session log from byte `from` to its end in fixed-size chunks (memory stays at one chunk,
 * or the longest line), delimiting lines on the bytes and decoding only those that can carry usage.
 * Synchronous on purpose: the logs are local files, mostly in the page cache, and a thread-pool
 * round trip per chunk cost more than the read itself; callers that must not block run it in a worker.
 */
export function scanFile(
  file: string,
  from: { offset: number; tail: string } = { offset: 0, tail: '' },
  buffer: Buffer = Buffer.allocUnsafe(CHUNK),
): FileScan {
  const scan: FileScan = {
    offset: from.offset,
    usageLines: 0,
    skipped: noSkips(),
    unfinished: false,
    tail: from.tail,
    responses: [],
    seen: new Map(),
  };
  const fd = openSync(file, 'r');
  try {
    let work = buffer;
    let filled = 0;
    let position = from.offset;
    for (;;) {
      if (filled === work.length) {
        // One line longer than the buffer: grow for it (it is the only data kept).
        const larger = Buffer.allocUnsafe(work.length * 2);
        work.copy(larger, 0, 0, filled);
        work = larger;
      }
      const bytesRead = readSync(fd, work, filled, work.length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      const consumed = scanLines(work.subarray(0, filled), position, scan);
      if (consumed > 0) {
        scan.tail = (scan.tail + work.toString('latin1', Math.max(0, consumed - TAIL_BYTES), consumed)).slice(
          -TAIL_BYTES,
        );
        work.copy(work, 0, consumed, filled);
        filled -= consumed;
        position += consumed;
      }
    }
    scan.offset = position;
    scan.unfinished = filled > 0 && work.subarray(0, filled).toString('latin1').trim() !== '';
  } finally {
    closeSync(fd);
  }
  return scan;
}
