import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { DrawdownError } from '@drawdown/core';
import { OAuthErrorCodes } from '../errors.js';

export interface FileLockOptions {
  /** A lock older than this is taken over (its holder crashed or hung). Default 60 s. */
  staleMs?: number;
  /** Give up waiting after this long. Default 30 s. */
  timeoutMs?: number;
  /** Pause between attempts; jittered. Default 15 ms. */
  retryMs?: number;
}

interface LockContent {
  pid: number;
  host: string;
  token: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function readLock(path: string): Promise<{ content?: LockContent; ageMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let content: LockContent | undefined;
    try {
      content = JSON.parse(text) as LockContent;
    } catch {
      // The holder has created the file but not written it yet: judge by age alone.
    }
    return { ...(content && { content }), ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Runs `work` while holding an exclusive lock file (created with O_EXCL, so exactly one process
 * wins), across processes on one machine. A lock whose holder died on this host, or that is older
 * than `staleMs`, is taken over by renaming it away first — a rename succeeds for one taker only.
 */
export async function withFileLock<T>(
  lockPath: string,
  work: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryMs = options.retryMs ?? 15;
  const mine: LockContent = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const started = Date.now();

  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(mine));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = await readLock(lockPath);
    const stale =
      held !== undefined &&
      (held.ageMs > staleMs ||
        (held.content !== undefined &&
          held.content.host === mine.host &&
          held.content.pid !== process.pid &&
          processIsGone(held.content.pid)));
    if (stale) {
      const aside = `${lockPath}.stale-${mine.token}`;
      try {
        await rename(lockPath, aside);
        await unlink(aside);
      } catch {
        // Someone else took it over first; try again.
      }
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new DrawdownError(
        OAuthErrorCodes.LOCK_TIMEOUT,
        `waited ${Math.round(timeoutMs / 1000)} s for the token store lock ${lockPath}; another drawdown process holds it. If none is running, delete that file.`,
        { data: { lockPath, timeoutMs } },
      );
    }
    await sleep(retryMs / 2 + Math.random() * retryMs);
  }

  try {
    return await work();
  } finally {
    const held = await readLock(lockPath).catch(() => undefined);
    if (held?.content?.token === mine.token) await unlink(lockPath).catch(() => undefined);
  }
}
