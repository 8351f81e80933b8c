/** A child process environment: what `child_process.spawn` takes as `env`. */
export type ChildEnv = Record<string, string | undefined>;

/** What the Anthropic SDK client needs to authenticate. */
export interface SdkCredentials {
  apiKey?: string;
  authToken?: string;
  /** Extra headers, e.g. `anthropic-beta: oauth-2025-04-20` for OAuth bearer tokens. */
  defaultHeaders?: Record<string, string>;
}

/** Whether a strategy can authenticate right now. Never contains a secret. */
export interface AuthStatus {
  ready: boolean;
  /** "bundled key", "key from ANTHROPIC_API_KEY", "signed in as alice@example.com", "not signed in". */
  detail: string;
  /** What to do when not ready. */
  hint?: string;
}

export type AuthKind = 'apiKey' | 'oauth' | 'delegated' | (string & {});

/**
 * How a request authenticates: SDK credentials for in-process calls, and the environment of a
 * child agent process. `childEnv` returns a new object and never mutates its input or process.env.
 */
export interface AuthStrategy {
  readonly id: string;
  readonly kind: AuthKind;
  /**
   * Credentials for an in-process SDK client. A `delegated` strategy has none and throws
   * DRAWDOWN_AUTH_UNAVAILABLE: its requests are made by the child agent itself.
   */
  credentials(): Promise<SdkCredentials>;
  /** The environment a child agent should run with under this strategy. */
  childEnv(base?: ChildEnv): ChildEnv;
  status(): Promise<AuthStatus>;
  /** Secret values this strategy holds, so the hub can scrub them from other children and from output. */
  secrets?(): string[];
  /** Called after a 401; resolves true when new credentials make one retry worthwhile (e.g. a refresh). */
  onUnauthorized?(): Promise<boolean>;
}
