import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { client, methods, ndJsonStream, type AnyMessage, type ClientContext } from '@agentclientprotocol/sdk';
import type { MessageStream } from '../src/index.js';
import { apiKey, budget, createHub, memoryStore, type Hub, type LedgerStore, type RateCard } from '@drawdown/core';
import { delegated, planAllowance } from '@drawdown/plugin-oauth';
import {
  replies,
  startAnthropicServer,
  type AnthropicServer,
  type BilledRequest,
  type ScriptedReply,
} from '@drawdown/testkit';

const require = createRequire(import.meta.url);
/** The real adapter's bin (`claude-agent-acp`), run with this Node. */
export const ADAPTER_BIN = join(
  dirname(require.resolve('@agentclientprotocol/claude-agent-acp/package.json')),
  'dist/index.js',
);
export const ADAPTER_VERSION = (require('@agentclientprotocol/claude-agent-acp/package.json') as { version: string })
  .version;

export const KEYS = { trial: 'sk-ant-app-trial-key-acp-1', personal: 'sk-ant-personal-key-acp-2' };

export interface ScriptedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

/**
 * A loopback Messages API for Claude Code. Each prompt's text carries a marker `[[turn:<name>]]`;
 * the main-loop request for it (the one with tools) is answered with the usage scripted under that
 * name. Claude Code's side requests (session titles) are answered with zero usage, so the spend the
 * server returned is exactly the scripted turns. `returned` names the turns' requests; what they
 * were billed is the testkit's billing log (`server.billing`).
 */
export async function startLoopback(
  usage: Record<string, ScriptedUsage>,
  extra: (name: string) => Partial<Parameters<typeof replies.message>[0]> = () => ({}),
) {
  const returned: Array<{
    name: string;
    requestId: string;
    model: string;
    usage: ScriptedUsage;
    credential: string | undefined;
  }> = [];
  const server: AnthropicServer = await startAnthropicServer({
    credentials: { trial: KEYS.trial, personal: KEYS.personal },
    fallback(request): ScriptedReply {
      const body = request.body ?? {};
      const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string }>) : [];
      const lastUser = [...messages].reverse().find((m) => m.role === 'user');
      const names = [...JSON.stringify(lastUser ?? '').matchAll(/\[\[turn:([a-z0-9-]+)\]\]/g)].map((m) => m[1]!);
      const name = names.at(-1);
      const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
      if (name !== undefined && hasTools && usage[name]) {
        returned.push({
          name,
          requestId: request.requestId,
          model: String(body.model),
          usage: usage[name],
          credential: request.credential,
        });
        return replies.message({ text: `answer to ${name}`, usage: usage[name], ...extra(name) });
      }
      return replies.message({ text: 'Side request', usage: { input_tokens: 0, output_tokens: 0 } });
    },
  });
  return { server, returned };
}

/** A temporary HOME for Claude Code, and the environment the adapter needs besides its credentials. */
export function agentHome(): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmpdir(), 'drawdown-acp-'));
  mkdirSync(join(home, '.claude'), { recursive: true });
  return {
    home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      // The user's own sign-in, as a headless Claude Code has it; only a personal-mode child keeps it.
      CLAUDE_CODE_OAUTH_TOKEN: KEYS.personal,
    },
  };
}

/**
 * trial (bundled key, $10 budget) → personal (the user's own sign-in, `CLAUDE_CODE_OAUTH_TOKEN` in
 * the environment, paid by a plan allowance that reads rate-limit signals).
 */
export async function testHub(
  store: LedgerStore = memoryStore(),
  trialAmount = '10.00',
  rateCard?: RateCard,
): Promise<Hub> {
  return createHub({
    store,
    ...(rateCard && { rateCard }),
    plugins: [
      apiKey({ id: 'bundled', key: KEYS.trial }),
      budget({ id: 'trial', amount: trialAmount }),
      delegated({ id: 'claude-login', keepUserOAuthToken: true, keepBaseUrl: true }),
      planAllowance({ id: 'plan' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'bundled', pool: 'trial' },
        { id: 'personal', strategy: 'claude-login', pool: 'plan' },
      ],
    },
  });
}

export interface AcpSession {
  ctx: ClientContext;
  /** Every message the client received, in order, as parsed JSON. */
  received: unknown[];
  /** Raw bytes the client received. */
  bytes: () => Buffer;
  /** Raw bytes the client sent. */
  sent: () => Buffer;
  child: ChildProcessWithoutNullStreams;
}

/**
 * Starts `command` (the adapter, or `drawdown acp … -- adapter`) and runs `op` as an ACP client
 * built with @agentclientprotocol/sdk over its stdio. Permission requests are refused.
 */
export async function withAcpClient<T>(
  command: string[],
  env: NodeJS.ProcessEnv,
  op: (session: AcpSession) => Promise<T>,
  options: { cwd?: string; wrap?: (stream: MessageStream<AnyMessage>) => MessageStream<AnyMessage> } = {},
): Promise<{
  value: T;
  error: unknown;
  exit: Promise<{ code: number | null; signal: string | null }>;
  stderr: () => string;
}> {
  const child = spawn(command[0]!, command.slice(1), {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const chunks: Buffer[] = [];
  const received: unknown[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') received.push(JSON.parse(line));
      newline = pending.indexOf('\n');
    }
  });
  const sentChunks: Buffer[] = [];
  const write = child.stdin.write.bind(child.stdin) as (chunk: unknown, ...rest: unknown[]) => boolean;
  child.stdin.write = ((chunk: unknown, ...rest: unknown[]) => {
    sentChunks.push(Buffer.from(chunk as Uint8Array));
    return write(chunk, ...rest);
  }) as typeof child.stdin.write;
  const raw = ndJsonStream(
    Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
    Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
  );
  const stream = options.wrap ? options.wrap(raw) : raw;
  const app = client({ name: 'drawdown-acp-test' })
    .onNotification(methods.client.session.update, () => undefined)
    .onRequest(methods.client.session.requestPermission, () => ({ outcome: { outcome: 'cancelled' } }));
  // A connection the agent closed (it crashed) ends `op` with an error: returned, not thrown, so
  // the test can still read the exit and stderr. `value` is then undefined.
  let error: unknown;
  const value = await app
    .connectWith(stream, (ctx) =>
      op({ ctx, received, bytes: () => Buffer.concat(chunks), sent: () => Buffer.concat(sentChunks), child }),
    )
    .catch((cause: unknown) => {
      error = cause;
      return undefined as T;
    });
  return { value, error, exit, stderr: () => stderr };
}

export async function initialize(ctx: ClientContext): Promise<void> {
  await ctx.request(methods.agent.initialize, { protocolVersion: 1, clientCapabilities: {} });
}

export async function newSession(ctx: ClientContext, cwd: string): Promise<string> {
  return (await ctx.request(methods.agent.session.new, { cwd, mcpServers: [] })).sessionId;
}

export async function prompt(ctx: ClientContext, sessionId: string, name: string) {
  return ctx.request(methods.agent.session.prompt, {
    sessionId,
    prompt: [{ type: 'text', text: `Please answer briefly. [[turn:${name}]]` }],
  });
}

/** What a billed request was to Claude Code: a prompt's turn, a background call, or a call aborted midway. */
export type CallKind = 'turn' | 'side' | 'aborted';

/** A request of the testkit's billing log (`server.billing`), with what kind of call it was. */
export type ClassifiedBill = BilledRequest & { kind: CallKind; name?: string };

/**
 * A loopback Messages API that scripts every call Claude Code makes, background ones included. A
 * prompt carrying `[[turn:<name>]]` has its main-loop call (the one with tools) answered with the
 * usage scripted under that name; `[[stall]]` streams `message_start` and one delta, then hangs
 * until the client aborts. Every other call (session title, prompt suggestion) gets `side` usage.
 * What was billed is the testkit's own billing log (`server.billing`, the oracle of
 * `assertConserved`); `billed()` is that log with each request's kind of call.
 */
export async function startBillingLoopback(options: {
  turns: Record<string, ScriptedUsage>;
  side: ScriptedUsage;
  stall?: ScriptedUsage;
}) {
  const kinds = new Map<string, { kind: CallKind; name?: string }>();
  const server: AnthropicServer = await startAnthropicServer({
    credentials: { trial: KEYS.trial, personal: KEYS.personal },
    fallback(request): ScriptedReply {
      const body = request.body ?? {};
      const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string }>) : [];
      const lastUser = JSON.stringify([...messages].reverse().find((m) => m.role === 'user') ?? '');
      const name = [...lastUser.matchAll(/\[\[turn:([a-z0-9-]+)\]\]/g)].map((m) => m[1]!).at(-1);
      // The suggestion call has tools too, but its last user message is its own instruction, with no marker.
      const mainLoop = Array.isArray(body.tools) && body.tools.length > 0;
      if (mainLoop && options.stall && lastUser.includes('[[stall]]')) {
        kinds.set(request.requestId, { kind: 'aborted' });
        return replies.message({
          text: 'thinking',
          usage: options.stall,
          stream: { stallAfter: 'content_block_delta' },
        });
      }
      const turn = mainLoop && name !== undefined ? options.turns[name] : undefined;
      kinds.set(request.requestId, turn ? { kind: 'turn', name: name! } : { kind: 'side' });
      return replies.message({ text: turn ? `answer to ${name}` : 'Side answer', usage: turn ?? options.side });
    },
  });
  const billed = (): ClassifiedBill[] =>
    server.billing.map((bill) => ({ ...bill, ...(kinds.get(bill.requestId) ?? { kind: 'side' as const }) }));
  return { server, billed };
}

/** Waits until the server has had no new request for `quietMs` (Claude Code's background calls after a turn have run). */
export async function quiet(server: AnthropicServer, quietMs = 3000, maxMs = 60_000): Promise<void> {
  const start = Date.now();
  let seen = server.requests.length;
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 250));
    if (server.requests.length !== seen) {
      seen = server.requests.length;
      since = Date.now();
    }
  }
}

/** Sends a prompt with this exact text. */
export async function promptText(ctx: ClientContext, sessionId: string, text: string) {
  return ctx.request(methods.agent.session.prompt, { sessionId, prompt: [{ type: 'text', text }] });
}

/** Cancels the session's running prompt (`session/cancel`). */
export async function cancel(ctx: ClientContext, sessionId: string): Promise<void> {
  await ctx.notify(methods.agent.session.cancel, { sessionId });
}
