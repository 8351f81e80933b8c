import { createHub, createRateCard, isDrawdownError, memoryStore, silentLogger } from '@drawdown/core';
import { planHub, type HubPlan } from '../hub/plan.js';
import { storeProblems } from '../hub/store.js';
import { problemFromError } from './option-problems.js';
import type { LoadedConfig } from './load.js';
import type { ConfigProblem, DrawdownConfig } from './types.js';
import { isRecord } from '@drawdown/core/internal';

/**
 * Every problem of one pool's or strategy's options. A plugin factory stops at its first complaint,
 * so the option it named is set aside and the factory asked again, until it is satisfied or names
 * an option a second time (a required one). All pools are checked, whatever else is wrong.
 */
async function entryProblems(
  section: 'strategies' | 'pools',
  id: string,
  entry: Record<string, unknown>,
  context: { env: NodeJS.ProcessEnv; cwd: string; file?: string },
): Promise<ConfigProblem[]> {
  const prefix = `${section}.${id}`;
  const options = { ...entry };
  const found: ConfigProblem[] = [];
  for (let round = 0; round < 20; round += 1) {
    const plan = await planHub({ [section]: { [id]: options } } as DrawdownConfig, context);
    const fresh = plan.problems.filter((p) => !found.some((q) => q.path === p.path));
    if (fresh.length === 0) break;
    found.push(...fresh);
    const field = fresh[0]!.path.startsWith(`${prefix}.`)
      ? fresh[0]!.path.slice(prefix.length + 1).split(/[.[]/)[0]!
      : undefined;
    if (field === undefined || field === 'kind' || !(field in options)) break;
    delete options[field];
  }
  return found;
}

export interface ConfigCheck {
  problems: ConfigProblem[];
  /** The plugins and route, when there are no problems. */
  plan?: HubPlan;
}

/**
 * The one validation `config check`, `status` and every other command share, so what the check
 * accepts is exactly what opens: the file's structure, each pool's and strategy's own options (all
 * of them, in one pass), the store's options, the rate card, and the route resolved against the
 * plugins on a throwaway memory ledger (the real ledger is not touched).
 */
export async function checkConfig(
  loaded: LoadedConfig,
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<ConfigCheck> {
  const { config } = loaded;
  const problems: ConfigProblem[] = [...loaded.problems];
  const add = (more: ConfigProblem[]): void =>
    void problems.push(
      ...more.filter((p) => !problems.some((q) => q.path === p.path || p.path.startsWith(`${q.path}.`))),
    );
  // Listed in the order of the file's settings, whichever check found them.
  const sections = isRecord(config) ? Object.keys(config) : [];
  const place = (p: ConfigProblem): number => {
    const at = sections.indexOf(p.path.split(/[.[]/)[0]!);
    return at === -1 ? sections.length : at;
  };
  const result = (plan?: HubPlan): ConfigCheck => {
    // Array sort is stable: problems of one setting keep the order they were found in.
    const sorted = [...problems].sort((a, b) => place(a) - place(b));
    return { problems: sorted, ...(plan && problems.length === 0 && { plan }) };
  };
  const context = { env: options.env, cwd: options.cwd, ...(loaded.file !== undefined && { file: loaded.file }) };
  for (const section of ['strategies', 'pools'] as const) {
    const entries = config[section] as unknown;
    if (!isRecord(entries)) continue;
    for (const [id, entry] of Object.entries(entries)) {
      if (!isRecord(entry) || typeof entry.kind !== 'string') continue;
      // A wrong kind is already reported by the structural check; its options mean nothing yet.
      if (problems.some((p) => p.path === `${section}.${id}.kind` || p.path === `${section}.${id}`)) continue;
      add(await entryProblems(section, id, entry, context));
    }
  }
  add(await storeProblems(config.store, options.env));
  // The card itself: what only a built card knows, such as whether `unknownModel.priceAs` is priced.
  const card = isRecord(config.rateCard) ? config.rateCard : {};
  let rateCard: ReturnType<typeof createRateCard> | undefined;
  if (Array.isArray(card.overrides) || card.unknownModel !== undefined) {
    try {
      rateCard = createRateCard({
        ...(Array.isArray(card.overrides) && { overrides: card.overrides }),
        ...(card.unknownModel !== undefined && { unknownModel: card.unknownModel }),
      });
    } catch (error) {
      if (!isDrawdownError(error)) throw error;
      add([problemFromError('rateCard', error)]);
    }
  }
  if (problems.length > 0) return result();
  const plan = await planHub(config, context);
  add(plan.problems);
  if (problems.length > 0) return result();
  // Build the hub against a throwaway memory store: the route's references are checked for real.
  try {
    const hub = await createHub({
      store: memoryStore(),
      plugins: plan.plugins,
      ...(plan.route && { route: plan.route }),
      logger: silentLogger,
      ...(config.timeZone !== undefined && { timeZone: config.timeZone }),
      ...(rateCard && { rateCard }),
    });
    await hub.close();
  } catch (error) {
    if (!isDrawdownError(error)) throw error;
    add([problemFromError(typeof error.data.field === 'string' ? '' : '(hub)', error)]);
  }
  return result(plan);
}
