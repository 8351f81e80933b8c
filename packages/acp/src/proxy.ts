import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { DrawdownError, invalidOption, toDecimalString, type Hub } from '@drawdown/core';
import { startOtlpReceiver } from '@drawdown/core/agent-sdk';
import { AcpErrorCodes } from './errors.js';
import { lineSplitter, parseJsonLine } from './lines.js';
import { createAcpTap, type AcpTapOptions, type AcpTapSummary } from './tap.js';
import { isObject, sessionIdOf, type JsonRpcId } from './wire.js';

export interface AcpProxyOptions extends Omit<AcpTapOptions, 'hub' | 'entry'> {
  hub: Hub;
  /** Route entry the agent runs under: its child environment starts the agent, its pool pays. */
  entry: string;
  /** The agent command and its arguments, e.g. `['claude-agent-acp']`. */
  command: readonly string[];
  /** The environment the agent's is shaped from with `hub.childEnv(entry, env)`. Default process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the client writes (default process.stdin) and reads (default process.stdout). */
  input?: Readable;
  output?: Writable;
  /** The agent's stderr, passed through (default process.stderr). */
  stderr?: Writable;
  /** After the client hangs up, how long the agent may take to exit before SIGTERM (then as long again before SIGKILL). Default 5000 ms. */
  graceMs?: number;
  /** Forward these signals to the agent while it runs. Default SIGINT, SIGTERM, SIGHUP. */
  signals?: readonly NodeJS.Signals[];
  /** Diagnostics (never protocol); default: the hub's logger. */
  log?(line: string): void;
}

export interface AcpProxyResult extends AcpTapSummary {
  /** The agent's exit code; 128 + the signal number when a signal ended it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** A `session/prompt` request's id and session, when `message` is one. */
function promptRequest(message: unknown): { id: JsonRpcId; sessionId: string } | undefined {
  if (!isObject(message) || message.method !== 'session/prompt') return undefined;
  const id = message.id;
  const sessionId = sessionIdOf(message.params);
  return (typeof id === 'string' || typeof id === 'number') && sessionId !== undefined ? { id, sessionId } : undefined;
}

/** JSON-RPC "internal error": ACP clients show an error response's message to the user. */
const REFUSED_RPC_CODE = -32603;

/**
 * The error response to a refused prompt: the reason and the pool's summary (its limit, its reset
 * when it has one) as the message the client shows, the details as data.
 */
async function refusal(hub: Hub, id: JsonRpcId, error: DrawdownError, entry: string): Promise<Buffer> {
  const data = error.data as { blocked?: unknown } | undefined;
  const pool = await hub.router.entry(entry).pool.status();
  const response = {
    jsonrpc: '2.0',
    id,
    error: {
      code: REFUSED_RPC_CODE,
      message: `drawdown: ${error.message} (${pool.summary}). Run "drawdown status" to see the pools.`,
      data: {
        code: AcpErrorCodes.PROMPT_REFUSED,
        cause: error.code,
        entry,
        pool: pool.id,
        ...(pool.limit !== undefined && { limit: toDecimalString(pool.limit) }),
        spent: toDecimalString(pool.spent),
        ...(pool.resetsAt !== undefined && { resetsAt: new Date(pool.resetsAt).toISOString() }),
        ...(data?.blocked !== undefined && { blocked: data.blocked }),
      },
    },
  };
  return Buffer.from(`${JSON.stringify(response)}\n`);
}

/**
 * Runs an ACP agent between a client (on `input`/`output`) and the agent child, forwarding every
 * line unchanged in both directions while a tap meters the connection. Before a `session/prompt`
 * goes on, the entry must hold `holdPerPrompt`; when it cannot (the trial is used up), the client
 * gets an error response naming the pool, its limit and its reset, and the agent never sees the
 * prompt. The agent starts with the entry's child environment. Resolves when the agent has exited
 * and every charge is stored.
 */
export async function runAcpProxy(options: AcpProxyOptions): Promise<AcpProxyResult> {
  const { hub, entry, command } = options;
  const [file, ...args] = command;
  if (file === undefined || file === '')
    throw invalidOption('runAcpProxy', 'command', 'is empty', 'Name the agent to start, like ["claude-agent-acp"].');
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const log = options.log ?? ((line: string) => hub.logger.info(line));
  const graceMs = options.graceMs ?? 5000;
  // Validates the entry before anything starts. Every API call the agent's Claude Code makes is
  // priced from its own telemetry, sent to a loopback receiver: turns, subagents, session titles
  // and prompt suggestions, also those after the last turn.
  const pricing = options.pricing ?? 'telemetry';
  const tap = createAcpTap({ ...options, hub, entry, pricing });
  const receiver =
    pricing === 'telemetry'
      ? await startOtlpReceiver({
          onLogs: (body) => tap.fromTelemetry(body),
          onBadExport: (reason) => log(`drawdown acp: unreadable telemetry from the agent: ${reason}`),
        })
      : undefined;
  const env = {
    ...(hub.childEnv(entry, options.env ?? process.env) as NodeJS.ProcessEnv),
    ...receiver?.env,
  };

  const child = spawn(file, args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (started) {
    await receiver?.close();
    await tap.close();
    const code = (started as NodeJS.ErrnoException).code;
    throw new DrawdownError(
      AcpErrorCodes.AGENT_SPAWN_FAILED,
      `cannot start the agent "${file}": ${code === 'ENOENT' ? 'no such command' : started.message}`,
      {
        data: {
          command: file,
          errno: code,
          hint:
            code === 'ENOENT'
              ? `Install it or give its full path, e.g. drawdown acp --route ${entry} -- npx @agentclientprotocol/claude-agent-acp`
              : 'Check that the command can run.',
        },
        cause: started,
      },
    );
  }

  let stopped = false;
  /** Whole lines only, so a refusal written here never lands inside a line of the agent's. */
  const toClient = (bytes: Buffer): void => {
    if (!output.write(bytes)) {
      child.stdout.pause();
      output.once('drain', () => child.stdout.resume());
    }
  };
  const fromAgent = lineSplitter((bytes) => {
    const parsed = parseJsonLine(bytes);
    if (parsed === 'invalid')
      log(`drawdown acp: the agent sent a line that is not JSON (${bytes.length} bytes); forwarded as is`);
    else if (parsed !== 'blank') tap.fromAgent(parsed.message);
    toClient(bytes);
  });

  /**
   * A client line, in order: a prompt no route entry can hold is answered here with the reason and
   * never reaches the agent; everything else goes on unchanged.
   */
  const forwardClientLine = async (bytes: Buffer): Promise<void> => {
    const parsed = parseJsonLine(bytes);
    if (parsed === 'invalid')
      log(`drawdown acp: the client sent a line that is not JSON (${bytes.length} bytes); forwarded as is`);
    if (typeof parsed === 'object') {
      const message = parsed.message;
      const prompt = promptRequest(message);
      if (prompt) {
        const admission = await tap.admit(prompt.sessionId);
        if (admission.refused) {
          log(`drawdown acp: prompt refused: ${admission.refused.message}`);
          toClient(await refusal(hub, prompt.id, admission.refused, entry));
          return;
        }
      }
      tap.fromClient(message);
    }
    if (!stopped && !child.stdin.write(bytes)) await once(child.stdin, 'drain');
  };
  // One line at a time; the client is paused while a line waits for its hold or for the agent to read.
  let clientQueue: Promise<void> = Promise.resolve();
  let waiting = 0;
  const fromClient = lineSplitter((bytes) => {
    waiting++;
    input.pause();
    clientQueue = clientQueue
      .then(() => forwardClientLine(bytes))
      .catch((error: unknown) =>
        log(`drawdown acp: forwarding to the agent failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        waiting--;
        if (waiting === 0 && !stopped) input.resume();
      });
  });

  const onClientData = (chunk: Buffer) => fromClient.push(chunk);
  input.on('data', onClientData);
  child.stdout.on('data', (chunk: Buffer) => fromAgent.push(chunk));
  child.stderr.pipe(stderr, { end: false });
  child.stdin.on('error', (error) => log(`drawdown acp: writing to the agent failed: ${error.message}`));

  let hangUpTimer: NodeJS.Timeout | undefined;
  const onClientEnd = () => {
    fromClient.end();
    // After the lines still waiting for their holds.
    void clientQueue.then(() => child.stdin.end());
    log('drawdown acp: the client hung up; waiting for the agent to exit');
    hangUpTimer = setTimeout(() => {
      log(`drawdown acp: the agent did not exit within ${graceMs} ms; sending SIGTERM`);
      child.kill('SIGTERM');
      hangUpTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      hangUpTimer.unref();
    }, graceMs);
    hangUpTimer.unref();
  };
  input.once('end', onClientEnd);

  const forward = (signal: NodeJS.Signals) => () => {
    log(`drawdown acp: ${signal} received; passing it to the agent`);
    child.kill(signal);
  };
  const handlers = (options.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP']).map(
    (signal) => [signal, forward(signal)] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(hangUpTimer);
  for (const [signal, handler] of handlers) process.off(signal, handler);
  stopped = true;
  input.off('data', onClientData);
  input.off('end', onClientEnd);
  // Stop reading the client: a client that has not hung up must not keep this process alive.
  input.pause();
  fromAgent.end();
  // The agent flushed its telemetry before it exited; the receiver waits for exports still being read.
  await receiver?.close();
  const summary = await tap.close();
  if (summary.interrupted > 0)
    log(
      `drawdown acp: the agent exited with ${summary.interrupted} prompt${summary.interrupted === 1 ? '' : 's'} running; what it reported is charged, the holds are released`,
    );
  const exitCode = exit.code ?? 128 + (exit.signal ? (SIGNAL_NUMBERS[exit.signal] ?? 0) : 0);
  return { ...summary, exitCode, signal: exit.signal };
}
