/** What a sign-in leaves behind. Secret: never logged, emitted or shown. */
export interface StoredTokens {
  /** Format marker, so a future layout can be told apart. */
  version: 1;
  issuer: string;
  clientId: string;
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** When the access token expires (epoch ms); unknown when the server did not say. */
  expiresAt?: number;
  scope?: string;
  /** Who signed in (email, preferred_username or sub from the ID token), when known. Not secret. */
  account?: string;
  obtainedAt: number;
}

/**
 * Where a client keeps its tokens. `withLock` runs a read-check-refresh-write sequence exclusively
 * (across processes for the file store), so one refresh serves every waiter.
 */
export interface TokenStore {
  /** `memory`, `file`, or a custom store's name. */
  readonly kind: string;
  /** Where the tokens live, for messages (a path, never a token). */
  readonly location: string;
  load(): Promise<StoredTokens | undefined>;
  save(tokens: StoredTokens): Promise<void>;
  clear(): Promise<void>;
  withLock<T>(work: () => Promise<T>): Promise<T>;
}

/** Runs tasks one after another (an in-process mutex). */
export function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Keeps tokens in this process only: for tests and short-lived tools. */
export function memoryTokenStore(initial?: StoredTokens): TokenStore {
  let tokens = initial ? { ...initial } : undefined;
  const serial = serialQueue();
  return {
    kind: 'memory',
    location: 'memory',
    load: async () => (tokens ? { ...tokens } : undefined),
    async save(next) {
      tokens = { ...next };
    },
    async clear() {
      tokens = undefined;
    },
    withLock: (work) => serial(work),
  };
}
