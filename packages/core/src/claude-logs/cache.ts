import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { TAIL_BYTES, type LoggedResponse, type SkipCounts } from './scan.js';

/** What the reader remembers of one session log: how far it read it and what it found there. */
export interface CachedFile {
  size: number;
  mtimeMs: number;
  ino: number;
  /** Where the next read starts: after the last complete line. */
  offset: number;
  /** The bytes just before `offset` (latin1), to notice a log rewritten rather than appended to. */
  tail: string;
  usageLines: number;
  skipped: SkipCounts;
  unfinished: boolean;
  responses: LoggedResponse[];
  lastLimitMessage?: { text: string; at: number };
}

export interface ReaderCache {
  version: typeof VERSION;
  /** Fingerprint of the rate card the cached costs came from; another card means pricing again. */
  prices: string;
  files: Record<string, CachedFile>;
  /** Per time zone, the offset of each UTC day seen (see `localDates`): no time-zone lookups for known days. */
  zones: Record<string, Record<string, number | null>>;
}

const VERSION = 2;

export const emptyCache = (prices: string): ReaderCache => ({ version: VERSION, prices, files: {}, zones: {} });

/** The cache, or an empty one when it is missing, unreadable or from another version: it only saves time. */
export async function loadCache(file: string, prices: string): Promise<ReaderCache> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return emptyCache(prices);
  }
  const cache = parsed as Partial<ReaderCache> | null;
  if (!cache || cache.version !== VERSION || typeof cache.files !== 'object' || cache.files === null)
    return emptyCache(prices);
  if (cache.prices !== prices)
    for (const entry of Object.values(cache.files))
      for (const response of entry.responses) {
        response[13] = -1;
        response[14] = 0;
      }
  const zones = typeof cache.zones === 'object' && cache.zones !== null ? cache.zones : {};
  return { version: VERSION, prices, files: cache.files, zones };
}

/** Written to a temporary file and renamed, so a reader in another process never sees half of it. */
export async function saveCache(file: string, cache: ReaderCache): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, JSON.stringify(cache), { mode: 0o600 });
    await rename(temporary, file);
  } catch {
    // A cache that cannot be written costs the next read its speed, nothing else.
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

/** The `TAIL_BYTES` before `offset`, to compare with what was there when the file was last read. */
export function tailAt(file: string, offset: number): string {
  const length = Math.min(offset, TAIL_BYTES);
  if (length === 0) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const bytesRead = readSync(fd, buffer, 0, length, offset - length);
    return buffer.toString('latin1', 0, bytesRead);
  } finally {
    closeSync(fd);
  }
}
