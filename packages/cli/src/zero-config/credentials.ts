import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** One way a tool can authenticate to Claude from this machine, and the pool that pays when it does. */
export interface CredentialSource {
  /** Environment variable (or file) that carries it; never its value. */
  source: string;
  present: boolean;
  /** Which pool is drawn when this credential is used. */
  pool: string;
}

export interface CredentialView {
  /** In Claude Code's order of precedence: the first present one is what Claude Code uses. */
  sources: CredentialSource[];
  /** What Claude Code started here would draw from (the first present source), or undefined when nothing is set. */
  claudeCode?: CredentialSource;
  /** What a tool that only reads ANTHROPIC_API_KEY (Cursor, scripts, SDK apps) would draw from. */
  apiKeyTools?: CredentialSource;
  /** Where requests go when ANTHROPIC_BASE_URL redirects them (scheme and host only). */
  baseUrl?: string;
}

const cloud = [
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_USE_GATEWAY',
  'CLAUDE_CODE_USE_MANTLE',
];
const isOn = (value: string | undefined): boolean =>
  value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/** The origin of a URL without user, password, path or query: what is safe to print. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Which pools tools on this machine would draw from, read from the environment and Claude Code's
 * login file, following Claude Code's precedence (FACTS: cloud flags → ANTHROPIC_AUTH_TOKEN →
 * ANTHROPIC_API_KEY → apiKeyHelper → CLAUDE_CODE_OAUTH_TOKEN → /login). Only presence is reported.
 */
export function readCredentials(env: NodeJS.ProcessEnv, claudeDirs: string[]): CredentialView {
  const cloudFlag = cloud.find((name) => isOn(env[name]));
  const loginFile = claudeDirs.map((dir) => path.join(dir, '.credentials.json')).find((file) => existsSync(file));
  const sources: CredentialSource[] = [
    {
      source: cloudFlag ?? 'CLAUDE_CODE_USE_BEDROCK/_VERTEX/_FOUNDRY',
      present: cloudFlag !== undefined,
      pool: 'cloud provider billing (not Anthropic credits)',
    },
    {
      source: 'ANTHROPIC_AUTH_TOKEN',
      present: Boolean(env.ANTHROPIC_AUTH_TOKEN),
      pool: 'whatever the gateway that issued the token bills',
    },
    {
      source: 'ANTHROPIC_API_KEY',
      present: Boolean(env.ANTHROPIC_API_KEY),
      pool: "API usage credits of the key's Console organization",
    },
    {
      source: 'CLAUDE_CODE_OAUTH_TOKEN',
      present: Boolean(env.CLAUDE_CODE_OAUTH_TOKEN),
      pool: 'plan allowance of the account that made the token',
    },
    {
      source: loginFile ?? '/login (Claude Code sign-in)',
      present: loginFile !== undefined,
      pool: 'plan allowance, then extra usage if opted in',
    },
  ];
  const claudeCode = sources.find((s) => s.present);
  const apiKeyTools = sources.find((s) => s.source === 'ANTHROPIC_API_KEY' && s.present);
  return {
    sources,
    ...(claudeCode && { claudeCode }),
    ...(apiKeyTools && { apiKeyTools }),
    ...(env.ANTHROPIC_BASE_URL && { baseUrl: origin(env.ANTHROPIC_BASE_URL) }),
  };
}
