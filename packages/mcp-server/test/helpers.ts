import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { expect } from 'vitest';
import { sqliteStore } from '@drawdown/store-sqlite';
import type { PoolsView, RouteView } from '../src/schemas.js';
import type { AddFundsOutput } from '../src/tools/add-funds.js';
import type { EstimateCostOutput } from '../src/tools/estimate-cost.js';
import type { RateCardOutput } from '../src/tools/rate-card.js';
import type { SetAutoReloadOutput } from '../src/tools/set-auto-reload.js';
import type { UsageReportOutput } from '../src/tools/usage-report.js';
import { fixtureHub, SECRET_KEY } from './fixtures/hub.js';

export const ERAS = ['legacy', 'modern'] as const;
export type Era = (typeof ERAS)[number];

const here = dirname(fileURLToPath(import.meta.url));
export const fixture = (name: string): string => join(here, 'fixtures', name);
export const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'drawdown-mcp-')), 'ledger.sqlite');

export type Answer = 'accept' | 'decline';

export interface ClientOptions {
  era: Era;
  /** Whether the client declares it can ask its user (elicitation); without it, writes cannot be confirmed. */
  canConfirm?: boolean;
}

/** A test client: records the questions put to its user and the resource updates it was sent. */
export type TestClient = Client & {
  confirmations: string[];
  updates: string[];
  /** How the user answers the next confirmation. */
  answer: Answer;
  /** Forgets what one test recorded and goes back to accepting, so the next test starts clean. */
  forget(): void;
};

/** A real SDK client for one era: 2025-11-25 via `initialize`, or pinned to 2026-07-28. */
export function newClient({ era, canConfirm = false }: ClientOptions): TestClient {
  const client = new Client(
    { name: 'drawdown-test-client', version: '1.0.0' },
    {
      ...(canConfirm && { capabilities: { elicitation: {} } }),
      versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } },
    },
  ) as TestClient;
  client.forget = () => {
    client.confirmations = [];
    client.updates = [];
    client.answer = 'accept';
  };
  client.forget();
  if (canConfirm) {
    client.setRequestHandler('elicitation/create', async (request) => {
      client.confirmations.push(request.params.message);
      return client.answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  client.setNotificationHandler('notifications/resources/updated', (n) => void client.updates.push(n.params.uri));
  return client;
}

export function stdioTransport(env: Record<string, string>): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=drawdown-source', '--import', 'tsx', fixture('stdio-server.ts')],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
}

export function httpTransport(url: string, headers: Record<string, string> = {}): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
}

/** Each tool's structured content, as its output schema declares it. */
export interface ToolOutputs {
  pool_status: PoolsView;
  which_pool: RouteView;
  estimate_cost: EstimateCostOutput;
  rate_card: RateCardOutput;
  usage_report: UsageReportOutput;
  add_funds: AddFundsOutput;
  set_auto_reload: SetAutoReloadOutput;
}

/** Calls a tool that must succeed; checks text and structuredContent carry the same JSON and no secret. */
export async function callJson<N extends keyof ToolOutputs>(
  client: Client,
  name: N,
  args: Record<string, unknown> = {},
): Promise<ToolOutputs[N]> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text: string }>)[0]!.text;
  expect(result.isError, text).toBeFalsy();
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  expect(text).not.toContain(SECRET_KEY);
  return result.structuredContent as ToolOutputs[N];
}

/** Calls a tool that must fail as a tool error (not a protocol error); returns its message. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBe(true);
  const text = (result.content as Array<{ text: string }>)[0]!.text;
  expect(text).not.toContain(SECRET_KEY);
  return text;
}

/** Waits until `check` returns true (polling; no time limit of its own beyond the test's). */
export async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The fixture hub's ledger in a new SQLite file, created here before any server opens it. */
export async function seededLedger(): Promise<string> {
  const file = tempDb();
  const store = sqliteStore({ file });
  const hub = await fixtureHub(store);
  await hub.close();
  await store.close();
  return file;
}

export interface LedgerWriter {
  /** Charges `cost` nanodollars to a route entry from the writer's process; resolves once committed. */
  charge(entry: string, cost: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Another process writing into a shared ledger, started once and driven over IPC, so a test can
 * prove that changes made elsewhere reach the server without paying for a process per write.
 */
export function startWriter(file: string): Promise<LedgerWriter> {
  const child = fork(fixture('ledger-writer.ts'), [file], {
    execArgv: ['--conditions=drawdown-source', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let next = 0;
  const failAll = (error: Error): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  child.on('message', (message: { id: number; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error === undefined) waiter?.resolve();
    else waiter?.reject(new Error(`ledger writer: ${message.error}`));
  });
  child.on('exit', (code) => failAll(new Error(`ledger writer exited ${code}: ${stderr}`)));
  const writer: LedgerWriter = {
    charge: (entry, cost) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        pending.set(id, { resolve, reject });
        child.send({ id, entry, cost, requestId: `writer-${process.pid}-${Date.now()}-${id}` });
      }),
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(writer));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`ledger writer exited ${code} before it was ready: ${stderr}`)));
  });
}
