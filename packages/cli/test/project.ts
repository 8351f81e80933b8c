import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import type { Hub } from '@drawdown/core';
import { loadConfig } from '../src/config/load.js';
import type { DrawdownConfig } from '../src/config/types.js';
import { openHub } from '../src/hub/open-hub.js';

export interface Project {
  dir: string;
  file: string;
  /** Opens a hub on the project's configuration in this process (a second process next to the CLI). */
  withHub<T>(fn: (hub: Hub) => Promise<T>, env?: NodeJS.ProcessEnv): Promise<T>;
  remove(): void;
}

/** A temporary project directory with a drawdown.config.json and its own SQLite ledger. */
export function makeProject(config: DrawdownConfig | string, fileName = 'drawdown.config.json'): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'drawdown-cli-'));
  const file = path.join(dir, fileName);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return {
    dir,
    file,
    async withHub(fn, env = {}) {
      const loaded = await loadConfig({ cwd: dir, env });
      const hub = await openHub(loaded, { env: { ...env }, cwd: dir });
      try {
        return await fn(hub);
      } finally {
        await hub.close();
        await hub.store.close();
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A trial budget on a bundled key, then a daily budget: enough to see a switch. */
export const trialConfig: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
  pools: {
    trial: { kind: 'budget', amount: '1.00', label: 'trial' },
    daily: { kind: 'budget', amount: '5.00', period: 'day', label: 'daily budget' },
  },
  route: [
    { id: 'trial', strategy: 'bundled', pool: 'trial' },
    { id: 'daily', strategy: 'bundled', pool: 'daily' },
  ],
};

const created: Project[] = [];
// Removed when the test file is done: concurrent tests cannot tell whose test "the current test" is.
afterAll(() => {
  for (const project of created) project.remove();
});

/** A project removed after the test file's last test (safe for concurrent tests). */
export function useProject(config: DrawdownConfig | string, fileName?: string): Project {
  const project = makeProject(config, fileName);
  created.push(project);
  return project;
}
