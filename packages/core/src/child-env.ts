import type { ChildEnv } from './contracts/auth.js';

/**
 * Why a variable is taken out of a child agent's environment:
 * - `credential`: Claude Code (2.1.33x) authenticates with it, ahead of the user's own `/login`;
 * - `provider`: it switches Claude Code to another provider (cloud or gateway), which outranks
 *   every Anthropic credential in its precedence;
 * - `redirect`: it sends the child's API calls (and whatever credential they carry) to another host.
 */
export type ChildVariableRole = 'credential' | 'provider' | 'redirect';

/**
 * Every variable that can authenticate or redirect a Claude Code / Agent SDK child, in ONE place,
 * each with why. Found in the real 2.1.332 binary (its own lists of auth variables, the
 * `CLAUDE_CODE_USE_*` switches) and checked against it: with the main `credential` and `provider`
 * rows set to a key in the parent, an unscrubbed child presents that key to the server it calls
 * (see test/child-env.test.ts). Managed-settings paths are left alone on purpose: they carry an
 * organisation's policy, which a child must keep.
 * Claude Code's precedence, first match wins: provider switch → `ANTHROPIC_AUTH_TOKEN` →
 * `ANTHROPIC_API_KEY` (also from its file descriptor) → `apiKeyHelper` (settings) →
 * `CLAUDE_CODE_OAUTH_TOKEN` (also from its file descriptor) → the `/login` subscription.
 * `ANTHROPIC_CUSTOM_HEADERS` is added to every request whatever wins, so it can override any of them.
 */
export const CHILD_AUTH_VARIABLES: ReadonlyArray<{ name: string; role: ChildVariableRole; why: string }> = [
  // Anthropic credentials, in Claude Code's order.
  {
    name: 'ANTHROPIC_AUTH_TOKEN',
    role: 'credential',
    why: 'sent as Authorization: Bearer; outranks ANTHROPIC_API_KEY and the login',
  },
  {
    name: 'ANTHROPIC_API_KEY',
    role: 'credential',
    why: 'sent as x-api-key; outranks the login (so the API-key pool pays)',
  },
  {
    name: 'CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR',
    role: 'credential',
    why: 'names an inherited file descriptor Claude Code reads an API key from',
  },
  {
    name: 'CLAUDE_CODE_OAUTH_TOKEN',
    role: 'credential',
    why: 'a `claude setup-token` token, sent as Bearer; a personal child keeps it only with keepUserOAuthToken',
  },
  {
    name: 'CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR',
    role: 'credential',
    why: 'names an inherited file descriptor Claude Code reads an OAuth token from',
  },
  {
    name: 'CLAUDE_CODE_OAUTH_REFRESH_TOKEN',
    role: 'credential',
    why: "lets Claude Code mint OAuth tokens for an account that may not be the user's",
  },
  {
    name: 'CLAUDE_CODE_SESSION_ACCESS_TOKEN',
    role: 'credential',
    why: 'remote-session token Claude Code authenticates with',
  },
  {
    name: 'CLAUDE_CODE_SESSIONS_OAUTH_TOKEN',
    role: 'credential',
    why: 'remote-session OAuth token Claude Code authenticates with',
  },
  {
    name: 'CLAUDE_CODE_WEBSOCKET_AUTH_FILE_DESCRIPTOR',
    role: 'credential',
    why: 'names an inherited file descriptor holding a session credential',
  },
  {
    name: 'ANTHROPIC_CUSTOM_HEADERS',
    role: 'credential',
    why: 'header lines added to every API call; an `x-api-key:` or `Authorization:` line there overrides any sign-in',
  },
  {
    name: 'ANTHROPIC_PROFILE',
    role: 'credential',
    why: "selects a configured authentication profile, one of Claude Code's credential sources",
  },
  {
    name: 'ANTHROPIC_FEDERATION_RULE_ID',
    role: 'credential',
    why: 'workload identity federation: exchanges an identity token for API access',
  },
  { name: 'ANTHROPIC_IDENTITY_TOKEN', role: 'credential', why: 'identity token for workload identity federation' },
  {
    name: 'ANTHROPIC_IDENTITY_TOKEN_FILE',
    role: 'credential',
    why: 'file holding an identity token for workload identity federation',
  },
  {
    name: 'CLAUDE_CODE_HOST_AUTH_ENV_VAR',
    role: 'credential',
    why: 'names another variable the host put a credential in',
  },
  {
    name: 'CLAUDE_CODE_HOST_CREDS_FILE',
    role: 'credential',
    why: 'a file of credentials an embedding host hands to Claude Code',
  },
  { name: 'CLAUDE_BRIDGE_OAUTH_TOKEN', role: 'credential', why: "OAuth token for Claude Code's remote bridge" },
  // Provider switches: each outranks every credential above and sends calls to its own endpoint.
  { name: 'CLAUDE_CODE_USE_BEDROCK', role: 'provider', why: 'Amazon Bedrock, paid by the AWS account' },
  { name: 'CLAUDE_CODE_USE_VERTEX', role: 'provider', why: 'Google Vertex AI, paid by the Google Cloud project' },
  { name: 'CLAUDE_CODE_USE_FOUNDRY', role: 'provider', why: 'Microsoft Foundry, paid by the Azure resource' },
  {
    name: 'CLAUDE_CODE_USE_GATEWAY',
    role: 'provider',
    why: 'an LLM gateway, authenticated with ANTHROPIC_AUTH_TOKEN or the gateway token',
  },
  { name: 'CLAUDE_CODE_USE_MANTLE', role: 'provider', why: 'Bedrock Mantle, paid by the AWS account' },
  { name: 'CLAUDE_CODE_USE_ANTHROPIC_AWS', role: 'provider', why: 'Claude Platform on AWS, paid by the AWS account' },
  {
    name: 'CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD',
    role: 'provider',
    why: 'Claude Platform on Google Cloud, paid by the Google Cloud project',
  },
  {
    name: 'CLAUDE_CODE_PROVIDER_MANAGED_BY_HOST',
    role: 'provider',
    why: 'an embedding host chooses the provider and its credentials',
  },
  // Provider credentials: harmless without their switch, but nothing a child of ours needs.
  { name: 'AWS_BEARER_TOKEN_BEDROCK', role: 'credential', why: 'Bedrock / Mantle API key, sent as Bearer' },
  { name: 'ANTHROPIC_FOUNDRY_API_KEY', role: 'credential', why: 'Foundry API key, sent as x-api-key' },
  { name: 'ANTHROPIC_FOUNDRY_AUTH_TOKEN', role: 'credential', why: 'Foundry bearer token' },
  { name: 'ANTHROPIC_AWS_API_KEY', role: 'credential', why: 'Claude Platform on AWS API key' },
  { name: 'CLAUDE_CODE_GATEWAY_TOKEN', role: 'credential', why: 'gateway token used with CLAUDE_CODE_USE_GATEWAY' },
  {
    name: 'CLAUDE_CODE_GATEWAY_TOKEN_FILE_DESCRIPTOR',
    role: 'credential',
    why: 'names an inherited file descriptor holding the gateway token',
  },
  // Redirects: where the calls (and the credential on them) go.
  {
    name: 'ANTHROPIC_BASE_URL',
    role: 'redirect',
    why: 'sends Anthropic API calls to another host; behind it Claude Code does not use the claude.ai login. Kept only with keepBaseUrl',
  },
  {
    name: 'CLAUDE_CODE_API_BASE_URL',
    role: 'redirect',
    why: 'another base URL Claude Code calls with its credentials',
  },
  { name: 'ANTHROPIC_BEDROCK_BASE_URL', role: 'redirect', why: 'Bedrock endpoint' },
  { name: 'ANTHROPIC_BEDROCK_MANTLE_BASE_URL', role: 'redirect', why: 'Mantle endpoint' },
  { name: 'ANTHROPIC_VERTEX_BASE_URL', role: 'redirect', why: 'Vertex endpoint' },
  { name: 'ANTHROPIC_FOUNDRY_BASE_URL', role: 'redirect', why: 'Foundry endpoint' },
  { name: 'ANTHROPIC_AWS_BASE_URL', role: 'redirect', why: 'Claude Platform on AWS endpoint' },
  { name: 'ANTHROPIC_GOOGLE_CLOUD_BASE_URL', role: 'redirect', why: 'Claude Platform on Google Cloud endpoint' },
];

const named = (role: ChildVariableRole): string[] =>
  CHILD_AUTH_VARIABLES.filter((v) => v.role === role).map((v) => v.name);

/** Variables that make Claude Code authenticate with something other than the user's own sign-in (see CHILD_AUTH_VARIABLES). */
export const API_CREDENTIAL_VARS: readonly string[] = named('credential').filter(
  (name) => name !== 'CLAUDE_CODE_OAUTH_TOKEN',
);
/** Provider switches that take precedence over every other credential in Claude Code. */
export const PROVIDER_SWITCH_VARS: readonly string[] = named('provider');
/** Variables that send the child's calls elsewhere. */
export const REDIRECT_VARS: readonly string[] = named('redirect');
/** A long-lived token made by `claude setup-token`: the user's own subscription sign-in. */
export const USER_OAUTH_TOKEN_VAR = 'CLAUDE_CODE_OAUTH_TOKEN';

/** What a Claude Code child would authenticate with, given its environment (first match of its precedence). */
export type ClaudeCodeAuthSource =
  | { kind: 'provider'; variable: string }
  | { kind: 'custom-headers'; variable: 'ANTHROPIC_CUSTOM_HEADERS' }
  | { kind: 'auth-token' | 'api-key' | 'oauth-token' | 'federation'; variable: string }
  | { kind: 'login' };

const isSet = (env: ChildEnv, name: string): boolean => env[name] !== undefined && env[name] !== '';
const CREDENTIAL_HEADER = /^\s*(x-api-key|authorization|proxy-authorization|cookie)\s*:/im;

/**
 * Claude Code's own authentication precedence applied to an environment: what the child would use.
 * Settings (`apiKeyHelper`, managed settings) are not in the environment and not judged here.
 */
export function claudeCodeAuthSource(env: ChildEnv): ClaudeCodeAuthSource {
  for (const name of PROVIDER_SWITCH_VARS) {
    const value = env[name];
    if (value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false')
      return { kind: 'provider', variable: name };
  }
  // Custom headers ride on every request whatever else wins, so a credential there wins in effect.
  if (isSet(env, 'ANTHROPIC_CUSTOM_HEADERS') && CREDENTIAL_HEADER.test(env.ANTHROPIC_CUSTOM_HEADERS!))
    return { kind: 'custom-headers', variable: 'ANTHROPIC_CUSTOM_HEADERS' };
  if (isSet(env, 'ANTHROPIC_AUTH_TOKEN')) return { kind: 'auth-token', variable: 'ANTHROPIC_AUTH_TOKEN' };
  if (isSet(env, 'ANTHROPIC_API_KEY')) return { kind: 'api-key', variable: 'ANTHROPIC_API_KEY' };
  if (isSet(env, 'CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR'))
    return { kind: 'api-key', variable: 'CLAUDE_CODE_API_KEY_FILE_DESCRIPTOR' };
  for (const name of [
    'ANTHROPIC_FEDERATION_RULE_ID',
    'ANTHROPIC_IDENTITY_TOKEN',
    'ANTHROPIC_IDENTITY_TOKEN_FILE',
    'ANTHROPIC_PROFILE',
  ]) {
    if (isSet(env, name)) return { kind: 'federation', variable: name };
  }
  for (const name of [
    'CLAUDE_CODE_OAUTH_TOKEN',
    'CLAUDE_CODE_OAUTH_TOKEN_FILE_DESCRIPTOR',
    'CLAUDE_CODE_SESSION_ACCESS_TOKEN',
    'CLAUDE_CODE_SESSIONS_OAUTH_TOKEN',
  ]) {
    if (isSet(env, name)) return { kind: 'oauth-token', variable: name };
  }
  return { kind: 'login' };
}

export interface ChildEnvOptions {
  /** Environment to start from; defaults to a copy of `process.env`. Never mutated. */
  base?: ChildEnv;
  /** More variable names to remove (an app's own secret variables). */
  removeVars?: readonly string[];
  /** Remove any variable whose value equals one of these secrets, whatever its name. */
  removeValues?: readonly string[];
  /**
   * Keep the parent's `ANTHROPIC_BASE_URL` (a gateway or proxy the user chose). Off by default for
   * a personal child, because behind a custom base URL Claude Code does not use the claude.ai login;
   * on by default for an API-key child, whose key is meant for wherever the user points it.
   */
  keepBaseUrl?: boolean;
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

/** Removes every row of CHILD_AUTH_VARIABLES except the names in `keep`. */
function scrub(env: ChildEnv, keep: ReadonlySet<string>): void {
  for (const { name } of CHILD_AUTH_VARIABLES) if (!keep.has(name)) delete env[name];
}

/**
 * Environment for a child that must pay with `apiKey`: the key in `ANTHROPIC_API_KEY`, and nothing
 * Claude Code would use instead of it or send beside it (auth token, custom headers, credential
 * file descriptors, OAuth tokens, provider switches). `ANTHROPIC_BASE_URL` stays unless
 * `keepBaseUrl: false`.
 */
export function childEnvWithApiKey(apiKey: string, options: ChildEnvOptions = {}): ChildEnv {
  const env = startFrom({ ...options, removeValues: (options.removeValues ?? []).filter((v) => v !== apiKey) });
  scrub(env, new Set(options.keepBaseUrl === false ? [] : ['ANTHROPIC_BASE_URL']));
  env.ANTHROPIC_API_KEY = apiKey;
  return env;
}

/**
 * Environment for a child that must use its own sign-in (plan allowance): every variable of
 * CHILD_AUTH_VARIABLES is removed, so by Claude Code's own precedence the unmodified client falls
 * through to the user's `/login`. `CLAUDE_CODE_OAUTH_TOKEN` stays with `keepUserOAuthToken` (the
 * user's own `claude setup-token` token, for headless setups), `ANTHROPIC_BASE_URL` with `keepBaseUrl`.
 */
export function childEnvForOwnSignIn(options: ChildEnvOptions & { keepUserOAuthToken?: boolean } = {}): ChildEnv {
  const env = startFrom(options);
  const keep = new Set<string>();
  if (options.keepUserOAuthToken) keep.add(USER_OAUTH_TOKEN_VAR);
  if (options.keepBaseUrl) keep.add('ANTHROPIC_BASE_URL');
  // Everything claudeCodeAuthSource() looks at is in the list, so the child's source is now `login`
  // (or the user's own setup token when kept); the tests hold the two together.
  scrub(env, keep);
  return env;
}
