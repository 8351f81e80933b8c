import { createHub, createRateCard, stderrLogger, type Hub, type Logger } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { LoadedConfig } from '../config/load.js';
import type { ConfigProblem } from '../config/types.js';
import { checkConfig } from '../config/check.js';
import { problemText } from '../config/option-problems.js';
import { planHub } from './plan.js';
import { openStore } from './store.js';

export function problemsError(problems: ConfigProblem[], file: string | undefined) {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return cliError(
    CliErrorCodes.INVALID_CONFIG,
    `${file ?? 'the configuration'}: ${first.path} ${problemText(first)}${more}`,
    'Run "drawdown config check" to see every problem with its field path.',
    { problems, ...(file !== undefined && { file }) },
  );
}

/** Builds a hub from a loaded configuration: store, plugins, route. Throws one clear error for any problem. */
export async function openHub(
  loaded: LoadedConfig,
  options: {
    env: NodeJS.ProcessEnv;
    cwd: string;
    logger?: Logger;
    /** A hub without pools is fine: only its ledger is read (report on DRAWDOWN_DB without a config). */
    ledgerOnly?: boolean;
  },
): Promise<Hub> {
  // The same check as "drawdown config check": what it accepts opens, what it refuses fails here with the same problems.
  const check = await checkConfig(loaded, options);
  if (check.problems.length > 0) throw problemsError(check.problems, loaded.file);
  const { config } = loaded;
  // Fresh plugins: the check set its own up on a throwaway hub.
  const plan = await planHub(config, {
    env: options.env,
    cwd: options.cwd,
    ...(loaded.file !== undefined && { file: loaded.file }),
  });
  if (plan.problems.length > 0) throw problemsError(plan.problems, loaded.file);
  if (plan.plugins.length === 0 && !options.ledgerOnly) {
    throw cliError(
      CliErrorCodes.INVALID_CONFIG,
      loaded.file === undefined
        ? 'no drawdown.config.json was found, so there are no pools to show'
        : `${loaded.file} defines no pools or strategies`,
      loaded.file === undefined
        ? 'Create one with "drawdown config init", or point DRAWDOWN_CONFIG at yours.'
        : 'Add "strategies", "pools" and a "route"; "drawdown config init" writes a starting point.',
      { searched: loaded.searched },
    );
  }
  const store = await openStore(config.store, options.env);
  try {
    return await createHub({
      store,
      plugins: plan.plugins,
      ...(plan.route && { route: plan.route }),
      ...(config.timeZone !== undefined && { timeZone: config.timeZone }),
      ...(config.holdTtlMs !== undefined && { holdTtlMs: config.holdTtlMs }),
      ...(config.rateCard !== undefined && {
        rateCard: createRateCard({
          ...(config.rateCard.overrides !== undefined && { overrides: config.rateCard.overrides }),
          ...(config.rateCard.unknownModel !== undefined && { unknownModel: config.rateCard.unknownModel }),
        }),
      }),
      logger: options.logger ?? stderrLogger(),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
}
