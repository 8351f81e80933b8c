/**
 * The 2025-era HTTP sessions of one server, bounded in time and number. Clients rarely end a
 * session with DELETE, so without bounds every connect/close cycle leaves a server instance behind.
 *
 * A session is busy while any of its HTTP requests is open (a GET stream that carries
 * subscriptions counts), and idle otherwise. Idle sessions expire after `idleMs`. At `maxSessions`,
 * a new session evicts the session idle the longest: an abandoned session is far more likely than
 * a quiet live one, and a live client that was evicted gets 404 and initializes again. Refusing new
 * sessions instead would let abandoned ones lock every future client out. Only when every session
 * is busy is a new one refused.
 */
export interface SessionTable<T> {
  /** Registers an initialized session; `finished` settles when the request that opened it ends. */
  add(id: string, value: T, close: () => Promise<void>, finished: Promise<void>): void;
  /** The session's value, marked busy until `finished` settles; undefined when unknown or expired. */
  use(id: string, finished: Promise<void>): T | undefined;
  remove(id: string): void;
  /** Whether a new session can be opened (there is room, or an idle session to evict). */
  hasRoom(): boolean;
  size(): number;
  closeAll(): Promise<void>;
}

interface Entry<T> {
  value: T;
  close: () => Promise<void>;
  open: number;
  lastSeen: number;
}

export interface SessionTableOptions {
  idleMs: number;
  maxSessions: number;
  /** Told why a session was closed by the table (not by its client). */
  onEvict?: (reason: string) => void;
  now?: () => number;
}

export function createSessionTable<T>(options: SessionTableOptions): SessionTable<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<T>>();

  const touch = (entry: Entry<T>, finished: Promise<void>): void => {
    entry.open++;
    entry.lastSeen = now();
    void finished.then(() => {
      entry.open--;
      entry.lastSeen = now();
    });
  };

  const evict = (id: string, entry: Entry<T>, reason: string): void => {
    entries.delete(id);
    options.onEvict?.(reason);
    void entry.close().catch(() => {});
  };

  const oldestIdle = (except?: string): [string, Entry<T>] | undefined => {
    let found: [string, Entry<T>] | undefined;
    for (const [id, entry] of entries) {
      if (id === except || entry.open > 0) continue;
      if (!found || entry.lastSeen < found[1].lastSeen) found = [id, entry];
    }
    return found;
  };

  const sweep = (): void => {
    const cutoff = now() - options.idleMs;
    for (const [id, entry] of [...entries])
      if (entry.open === 0 && entry.lastSeen <= cutoff) evict(id, entry, `idle for ${options.idleMs} ms`);
  };
  // Often enough that an idle session outlives its timeout by at most half of it; never keeps the process alive.
  const timer = setInterval(sweep, Math.max(10, Math.min(options.idleMs / 2, 60_000)));
  timer.unref();

  return {
    add(id, value, close, finished) {
      const entry: Entry<T> = { value, close, open: 0, lastSeen: now() };
      entries.set(id, entry);
      touch(entry, finished);
      while (entries.size > options.maxSessions) {
        const victim = oldestIdle(id);
        if (!victim) break;
        evict(victim[0], victim[1], `more than ${options.maxSessions} sessions`);
      }
    },
    use(id, finished) {
      const entry = entries.get(id);
      if (!entry) return undefined;
      if (entry.open === 0 && now() - entry.lastSeen >= options.idleMs) {
        evict(id, entry, `idle for ${options.idleMs} ms`);
        return undefined;
      }
      touch(entry, finished);
      return entry.value;
    },
    remove(id) {
      entries.delete(id);
    },
    hasRoom: () => entries.size < options.maxSessions || oldestIdle() !== undefined,
    size: () => entries.size,
    async closeAll() {
      clearInterval(timer);
      const all = [...entries.values()];
      entries.clear();
      await Promise.allSettled(all.map((entry) => entry.close()));
    },
  };
}
