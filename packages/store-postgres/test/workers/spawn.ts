import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./ledger-worker.ts', import.meta.url));

export interface Worker {
  child: ChildProcess;
  /** The next JSON line the worker prints. */
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
  exited: Promise<number | null>;
}

/** Starts the ledger worker as a real child process running TypeScript through tsx. */
export function startWorker(args: object, options: SpawnOptions = {}): Worker {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, JSON.stringify(args)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...options,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const pending: Array<Record<string, unknown>> = [];
  const waiting: Array<(value: Record<string, unknown>) => void> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const failed = exited.then((code) => {
    throw new Error(`worker exited with ${code} before answering: ${stderr}`);
  });
  failed.catch(() => {});
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else pending.push(message);
  });
  return {
    child,
    next: () => (pending.length > 0 ? Promise.resolve(pending.shift()!) : Promise.race([new Promise<Record<string, unknown>>((r) => waiting.push(r)), failed])),
    send: (line) => void child.stdin!.write(`${line}\n`),
    exited,
  };
}
