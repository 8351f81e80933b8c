import { apiKey, budget, payAsYouGo, invalidOption, type DrawdownPlugin } from '@drawdown/core';
import { credits, manualProvider, type CreditsOptions } from '@drawdown/plugin-credits';
import {
  delegated,
  oauth,
  planAllowance,
  type DelegatedOptions,
  type OAuthOptions,
  type PlanAllowanceOptions,
} from '@drawdown/plugin-oauth';

/** What a factory needs besides its own options. */
export interface FactoryContext {
  env: NodeJS.ProcessEnv;
  /** Directory of the config file (or the working directory), for relative paths in options. */
  baseDir: string;
}

export type Factory = (id: string, options: Record<string, unknown>, ctx: FactoryContext) => DrawdownPlugin;

/** Options the JSON file cannot hold as they are (secrets, providers) and what stands for them. */
function oauthOptions(id: string, options: Record<string, unknown>, ctx: FactoryContext): OAuthOptions {
  const { clientSecretEnv, ...rest } = options;
  if (clientSecretEnv === undefined) return { id, ...(rest as Omit<OAuthOptions, 'id'>) };
  if (typeof clientSecretEnv !== 'string' || !ctx.env[clientSecretEnv]) {
    throw invalidOption(
      `oauth("${id}")`,
      'clientSecretEnv',
      `names ${JSON.stringify(clientSecretEnv)}, which is not set`,
      'Export the variable holding the client secret, or leave clientSecretEnv out for a public client.',
    );
  }
  return { id, ...(rest as Omit<OAuthOptions, 'id'>), clientSecret: ctx.env[clientSecretEnv]! };
}

function creditsOptions(id: string, options: Record<string, unknown>): CreditsOptions {
  const { provider = 'manual', ...rest } = options;
  if (provider !== 'manual') {
    throw invalidOption(
      `credits("${id}")`,
      'provider',
      `is ${JSON.stringify(provider)}`,
      'A JSON config supports "manual"; for Stripe or your own provider use drawdown.config.ts and pass credits({ provider }) in "plugins".',
    );
  }
  return { id, ...(rest as Omit<CreditsOptions, 'id' | 'provider'>), provider: manualProvider() };
}

/** Strategy kinds the configuration can name, and the plugin factory behind each. */
export const strategyFactories: Record<string, Factory> = {
  apiKey: (id, options, ctx) => apiKey({ id, ...(options as { envVar?: string }), environment: ctx.env }),
  delegated: (id, options) => delegated({ id, ...(options as Omit<DelegatedOptions, 'id'>) }),
  oauth: (id, options, ctx) => oauth(oauthOptions(id, options, ctx)),
};

/** Pool kinds the configuration can name, and the plugin factory behind each. */
export const poolFactories: Record<string, Factory> = {
  budget: (id, options) => budget({ id, ...(options as { amount: string }) }),
  payAsYouGo: (id, options) => payAsYouGo({ id, ...options }),
  credits: (id, options) => credits(creditsOptions(id, options)),
  planAllowance: (id, options) => planAllowance({ id, ...(options as Omit<PlanAllowanceOptions, 'id'>) }),
};
