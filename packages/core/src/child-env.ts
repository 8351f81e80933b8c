import type { ChildEnv } from './contracts/auth.js';

/** Variables that make Claude Code / the Agent SDK authenticate with something other than the user's own sign-in. */
export const API_CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;
/** Cloud provider switches that take precedence over every other credential in Claude Code. */
export const PROVIDER_SWITCH_VARS = ['CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'CLAUDE_CODE_USE_FOUNDRY'] as const;
/** A long-lived token made by `claude setup-token`: the user's own subscription sign-in. */
export const USER_OAUTH_TOKEN_VAR = 'CLAUDE_CODE_OAUTH_TOKEN';

export interface ChildEnvOptions {
  /** Environment to start from; defaults to a copy of `process.env`. Never mutated. */
  base?: ChildEnv;
  /** More variable names to remove (an app's own secret variables). */
  removeVars?: readonly string[];
  /** Remove any variable whose value equals one of these secrets, whatever its name. */
  removeValues?: readonly string[];
}

function startFrom(options: ChildEnvOptions): ChildEnv {
  const env: ChildEnv = { ...(options.base ?? process.env) };
  for (const name of options.removeVars ?? []) delete env[name];
  const secrets = new Set((options.removeValues ?? []).filter((s) => s.length > 0));
  if (secrets.size > 0) {
    for (const [name, value] of Object.entries(env)) if (value !== undefined && secrets.has(value)) delete env[name];
  }
  return env;
}

/**
 * Environment for a child that must pay with `apiKey`: the key in `ANTHROPIC_API_KEY`, and no
 * variable that Claude Code would prefer over it (auth token, cloud provider switches).
 */
export function childEnvWithApiKey(apiKey: string, options: ChildEnvOptions = {}): ChildEnv {
  const env = startFrom({ ...options, removeValues: (options.removeValues ?? []).filter((v) => v !== apiKey) });
  for (const name of [...API_CREDENTIAL_VARS, ...PROVIDER_SWITCH_VARS]) delete env[name];
  env.ANTHROPIC_API_KEY = apiKey;
  return env;
}

/**
 * Environment for a child that must use its own sign-in (plan allowance): no API key, auth
 * token or provider switch, so the unmodified client falls through to the user's `/login`.
 * `CLAUDE_CODE_OAUTH_TOKEN` is removed too unless `keepUserOAuthToken` is set (it is the user's
 * own subscription token, so keeping it is safe when the user relies on it in headless setups).
 */
export function childEnvForOwnSignIn(options: ChildEnvOptions & { keepUserOAuthToken?: boolean } = {}): ChildEnv {
  const env = startFrom(options);
  for (const name of [...API_CREDENTIAL_VARS, ...PROVIDER_SWITCH_VARS]) delete env[name];
  if (!options.keepUserOAuthToken) delete env[USER_OAUTH_TOKEN_VAR];
  return env;
}
