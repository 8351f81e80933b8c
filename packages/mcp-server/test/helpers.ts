import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { expect } from 'vitest';
import { SECRET_KEY } from './fixtures/hub.js';

export const ERAS = ['legacy', 'modern'] as const;
export type Era = (typeof ERAS)[number];

const here = dirname(fileURLToPath(import.meta.url));
export const fixture = (name: string): string => join(here, 'fixtures', name);
export const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'drawdown-mcp-')), 'ledger.sqlite');

export interface ClientOptions {
  era: Era;
  /** How the client answers a confirmation; undefined: the client cannot ask its user at all. */
  answer?: 'accept' | 'decline';
}

/** A real SDK client for one era: 2025-11-25 via `initialize`, or pinned to 2026-07-28. */
export function newClient({ era, answer }: ClientOptions): Client & { confirmations: string[]; updates: string[] } {
  const client = new Client(
    { name: 'drawdown-test-client', version: '1.0.0' },
    { ...(answer && { capabilities: { elicitation: {} } }), versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } } },
  ) as Client & { confirmations: string[]; updates: string[] };
  client.confirmations = [];
  client.updates = [];
  if (answer) {
    client.setRequestHandler('elicitation/create', async (request) => {
      client.confirmations.push(request.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
  }
  client.setNotificationHandler('notifications/resources/updated', (n) => void client.updates.push(n.params.uri));
  return client;
}

export function stdioTransport(env: Record<string, string>): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=source', '--import', 'tsx', fixture('stdio-server.ts')],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
}

export function httpTransport(url: string, headers: Record<string, string> = {}): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
}

/** Calls a tool that must succeed; checks text and structuredContent carry the same JSON and no secret. */
export async function callJson<T = Record<string, any>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ type: string; text: string }>)[0]!.text;
  expect(result.isError, text).toBeFalsy();
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  expect(text).not.toContain(SECRET_KEY);
  return result.structuredContent as T;
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

/** Runs a fixture script in another process (`node --conditions=source --import tsx`). */
export function runFixture(name: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fixture(name), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${stderr}`))));
  });
}
