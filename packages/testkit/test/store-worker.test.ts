import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { LIST_MODULES, loadedModules } from '../../../test-support/loaded-modules.js';
import { startStoreWorker } from '../src/store-contract.js';

const WORKER = fileURLToPath(new URL('./workers/memory-worker.ts', import.meta.url));

it('starts a store worker process that loads no vitest, and it races and reports as before', async () => {
  const worker = startStoreWorker(
    WORKER,
    { config: null, mode: 'reserve', tag: 'w', count: 3, amount: '0.10', cap: '0.25', now: 0, ttlMs: 60_000 },
    { env: { ...process.env, NODE_OPTIONS: LIST_MODULES } },
  );
  let stderr = '';
  worker.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    expect(await worker.next()).toEqual({ step: 'ready' });
    worker.send('go');
    expect(await worker.next()).toEqual({ step: 'done', admitted: 2 });
    expect(await worker.exited).toBe(0);
  } finally {
    worker.child.kill('SIGKILL');
  }
  const modules = loadedModules(stderr);
  // The list is real: it has the worker module and the store the script opened.
  expect(modules).toContain(pathToFileURL(fileURLToPath(new URL('../src/store-worker.ts', import.meta.url))).href);
  expect(modules.some((m) => m.endsWith('/packages/core/src/stores/memory-store.ts'))).toBe(true);
  expect(modules.filter((m) => /\/node_modules\/(\.pnpm\/)?(@vitest|vitest|chai|vite)[+@/]/.test(m))).toEqual([]);
}, 60_000);
