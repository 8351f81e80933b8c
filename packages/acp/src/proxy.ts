import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { DrawdownError, type Hub } from '@drawdown/core';
import { AcpErrorCodes } from './errors.js';
import { jsonLineReader } from './lines.js';
import { createAcpTap, type AcpTapOptions, type AcpTapSummary } from './tap.js';

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

/**
 * Runs an ACP agent between a client (on `input`/`output`) and the agent child, forwarding every
 * byte unchanged in both directions while a tap meters the connection. The agent starts with the
 * entry's child environment. Resolves when the agent has exited and every charge is stored.
 */
export async function runAcpProxy(options: AcpProxyOptions): Promise<AcpProxyResult> {
  const { hub, entry, command } = options;
  const [file, ...args] = command;
  if (file === undefined || file === '')
    throw new DrawdownError(
      'DRAWDOWN_INVALID_OPTION',
      'runAcpProxy: option "command" is empty. Name the agent to start, like ["claude-agent-acp"].',
      { data: { owner: 'runAcpProxy', field: 'command' } },
    );
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const log = options.log ?? ((line: string) => hub.logger.info(line));
  const graceMs = options.graceMs ?? 5000;
  // Validates the entry before anything starts.
  const tap = createAcpTap({ ...options, hub, entry });
  const env = hub.childEnv(entry, options.env ?? process.env) as NodeJS.ProcessEnv;

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

  const fromClient = jsonLineReader(tap.fromClient, (line) =>
    log(`drawdown acp: the client sent a line that is not JSON (${line.length} bytes); forwarded as is`),
  );
  const fromAgent = jsonLineReader(tap.fromAgent, (line) =>
    log(`drawdown acp: the agent sent a line that is not JSON (${line.length} bytes); forwarded as is`),
  );

  // Bytes pass through unchanged; the readers only look. pipe() keeps backpressure on both sides.
  const onClientData = (chunk: Buffer) => fromClient.push(chunk);
  input.on('data', onClientData);
  input.pipe(child.stdin, { end: false });
  child.stdout.on('data', (chunk: Buffer) => fromAgent.push(chunk));
  child.stdout.pipe(output, { end: false });
  child.stderr.pipe(stderr, { end: false });
  child.stdin.on('error', (error) => log(`drawdown acp: writing to the agent failed: ${error.message}`));

  let hangUpTimer: NodeJS.Timeout | undefined;
  const onClientEnd = () => {
    fromClient.end();
    child.stdin.end();
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
  input.off('data', onClientData);
  input.off('end', onClientEnd);
  input.unpipe(child.stdin);
  // Stop reading the client: a client that has not hung up must not keep this process alive.
  input.pause();
  fromAgent.end();
  const summary = await tap.close();
  if (summary.interrupted > 0)
    log(
      `drawdown acp: the agent exited with ${summary.interrupted} prompt${summary.interrupted === 1 ? '' : 's'} running; what it reported is charged, the holds are released`,
    );
  const exitCode = exit.code ?? 128 + (exit.signal ? (SIGNAL_NUMBERS[exit.signal] ?? 0) : 0);
  return { ...summary, exitCode, signal: exit.signal };
}
