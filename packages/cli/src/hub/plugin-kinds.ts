import { apiKey, budget, type DrawdownPlugin } from '@drawdown/core';
import type { PoolConfig, StrategyConfig } from '../config/types.js';

/** What a factory needs besides its own options. */
export interface FactoryContext {
  env: NodeJS.ProcessEnv;
  /** Directory of the config file (or the working directory), for relative paths in options. */
  baseDir: string;
}

export type Factory<C> = (id: string, options: Omit<C, 'kind'>, ctx: FactoryContext) => DrawdownPlugin | Promise<DrawdownPlugin>;

/** Strategy kinds the configuration can name, and the plugin factory behind each. */
export const strategyFactories: Record<string, Factory<StrategyConfig>> = {
  apiKey: (id, options, ctx) => apiKey({ id, ...(options as { envVar?: string }), environment: ctx.env }),
};

/** Pool kinds the configuration can name, and the plugin factory behind each. */
export const poolFactories: Record<string, Factory<PoolConfig>> = {
  budget: (id, options) => budget({ id, ...(options as Omit<Extract<PoolConfig, { kind: 'budget' }>, 'kind'>) }),
};
