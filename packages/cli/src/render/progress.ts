import type { Terminal } from './terminal.js';

/**
 * Runs `fn`; if it takes longer than `afterMs`, says what it is waiting for on stderr (never stdout,
 * which may be piped or carry JSON). Quick operations print nothing.
 */
export async function withProgress<T>(
  term: Pick<Terminal, 'note'>,
  label: string,
  fn: () => Promise<T>,
  afterMs = 2000,
): Promise<T> {
  const started = Date.now();
  const timer = setInterval(
    () => term.note(`drawdown: ${label}… (${Math.round((Date.now() - started) / 1000)} s)`),
    afterMs,
  );
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
