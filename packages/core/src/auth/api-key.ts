import { childEnvWithApiKey } from '../child-env.js';
import type { AuthStrategy, ChildEnv } from '../contracts/auth.js';
import type { DrawdownPlugin } from '../contracts/plugin.js';
import { DrawdownError, ErrorCodes, invalidOption } from '../errors.js';

export interface ApiKeyOptions {
  /** Strategy id used in routes. Default `apiKey`. */
  id?: string;
  /** A bundled key shipped with the app. When absent, the key is read from `envVar` at use. */
  key?: string;
  /** Variable to read the key from. Default `ANTHROPIC_API_KEY`. */
  envVar?: string;
  /** Environment to read `envVar` from; default `process.env`. */
  environment?: Record<string, string | undefined>;
}

/**
 * Authenticates with an Anthropic API key: a bundled key (an app's trial key) or the user's own
 * from the environment. The key never appears in status, errors or events.
 */
export function apiKey(options: ApiKeyOptions = {}) {
  const id = options.id ?? 'apiKey';
  const envVar = options.envVar ?? 'ANTHROPIC_API_KEY';
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key.trim() === '')) {
    throw invalidOption(
      `apiKey("${id}")`,
      'key',
      'is empty',
      'Pass the bundled key, or leave it out to read ANTHROPIC_API_KEY.',
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(envVar)) {
    throw invalidOption(
      `apiKey("${id}")`,
      'envVar',
      `is "${envVar}", not a variable name`,
      'Use a name like "ANTHROPIC_API_KEY".',
    );
  }
  const environment = options.environment ?? process.env;
  const source = options.key !== undefined ? 'bundled key' : `key from ${envVar}`;
  const currentKey = (): string | undefined => options.key ?? (environment[envVar] || undefined);

  const strategy: AuthStrategy = {
    id,
    kind: 'apiKey',
    async credentials() {
      const key = currentKey();
      if (!key) {
        throw new DrawdownError(
          ErrorCodes.AUTH_UNAVAILABLE,
          `strategy "${id}" has no API key: ${envVar} is not set. Set it, or give the strategy a key.`,
          {
            data: { strategy: id, envVar },
          },
        );
      }
      return { apiKey: key };
    },
    childEnv(base?: ChildEnv) {
      const key = currentKey();
      if (!key) {
        throw new DrawdownError(
          ErrorCodes.AUTH_UNAVAILABLE,
          `strategy "${id}" cannot start a child: ${envVar} is not set.`,
          { data: { strategy: id, envVar } },
        );
      }
      return childEnvWithApiKey(key, base === undefined ? {} : { base });
    },
    async status() {
      return currentKey()
        ? { ready: true, detail: source }
        : { ready: false, detail: `${envVar} is not set`, hint: `export ${envVar}=… or configure a bundled key` };
    },
    secrets() {
      const key = currentKey();
      return key ? [key] : [];
    },
  };
  return { id, kind: 'auth', setup: () => ({ strategy }) } satisfies DrawdownPlugin;
}
