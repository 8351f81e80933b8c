import { assertConserved, type AnthropicServer, type BilledRequest } from '@drawdown/testkit';
import { usd } from '@drawdown/core';
import { agentHome, KEYS } from '../../../acp/test/harness.js';
import type { DrawdownConfig } from '../../src/config/types.js';
import { makeProject } from '../project.js';
import { binPath, runDrawdown, tsxLoader } from '../run-cli.js';

/**
 * A project whose route is one `trial` entry (the app's bundled key from `APP_TRIAL_KEY`, a budget
 * of `trialAmount`), a fresh Claude Code home, and the user's shell pointed at the loopback API.
 */
export function acpProject(server: AnthropicServer, trialAmount: string) {
  const config: DrawdownConfig = {
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
    pools: { trial: { kind: 'budget', amount: trialAmount } },
    route: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }],
  };
  const project = makeProject(config);
  const { home, env } = agentHome();
  // The user's shell: the app's bundled key in its own variable, the loopback API as the base URL.
  const shell: NodeJS.ProcessEnv = { ...env, APP_TRIAL_KEY: KEYS.trial, ANTHROPIC_BASE_URL: server.url, NO_COLOR: '1' };
  /** The command line that runs the CLI from source with these arguments. */
  const drawdown = (...args: string[]) => [
    process.execPath,
    '--conditions=drawdown-source',
    '--import',
    tsxLoader,
    binPath,
    ...args,
  ];
  /** The trial pool as `drawdown status --json` shows it. */
  const trialStatus = async () => {
    const status = await runDrawdown(['status', '--json'], { cwd: project.dir, env: shell });
    return (JSON.parse(status.stdout) as { pools: Array<{ id: string; spentUsd: string; held: number }> }).pools.find(
      (p) => p.id === 'trial',
    )!;
  };
  /** The trial's spend and holds, and the key of every charge in the ledger. */
  const ledger = async () => {
    const trial = await trialStatus();
    const keys = await project.withHub(async (hub) =>
      (await hub.store.entries({ account: 'trial', kinds: ['charge'] })).flatMap((e) =>
        e.kind === 'charge' ? [e.record.key] : [],
      ),
    );
    return { spent: usd(trial.spentUsd), held: trial.held, keys };
  };
  /** Asserts the ledger charges each request of the upstream's billing log once, at its rate-card price. */
  const conserved = (billing: readonly BilledRequest[]) =>
    project.withHub((hub) => assertConserved({ billing, store: hub.store }));
  return { project, home, shell, drawdown, trialStatus, ledger, conserved };
}
