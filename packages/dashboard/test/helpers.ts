import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const tempLedger = (): string => join(mkdtempSync(join(tmpdir(), 'drawdown-dashboard-')), 'ledger.sqlite');

export interface SettleChild {
  /** Charges one request in the child; resolves with the instant (epoch ms) the child's charge was committed. */
  settle(request: {
    requestId: string;
    entry: string;
    model: string;
    input: number;
    output: number;
  }): Promise<{ ack: number; costUsd: string }>;
  close(): Promise<void>;
}

/** Another process on the same SQLite ledger (a small tsx script), driven over IPC. */
export function startSettleChild(file: string): Promise<SettleChild> {
  const child: ChildProcess = fork(join(here, 'fixtures', 'settle-child.ts'), [file], {
    execArgv: ['--conditions=drawdown-source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`settle child exited with ${code}: ${stderr}`)));
    child.once('message', () =>
      resolve({
        settle: (request) =>
          new Promise((done, fail) => {
            child.once('message', (m: { ack?: number; costUsd?: string; error?: string }) =>
              m.error ? fail(new Error(m.error)) : done({ ack: m.ack!, costUsd: m.costUsd! }),
            );
            child.send(request);
          }),
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.disconnect();
          }),
      }),
    );
  });
}
