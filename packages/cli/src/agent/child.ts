import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createAgentSdkMeter, meterAgentOutput, type AgentObservation, type AgentOutputSummary, type ChildEnv, type Hub } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';

export interface MeteredChildOptions {
  hub: Hub;
  /** Route entry whose strategy shapes the environment and whose pool is charged. */
  entry: string;
  /** Program and arguments; run directly, not through a shell. */
  argv: string[];
  /** Environment to start from before the entry's strategy shapes it. */
  baseEnv: ChildEnv;
  /** Read the child's stdout as Agent SDK stream-json and charge its turns. Default true. */
  meter?: boolean;
  /** Each parsed message with what the meter made of it. */
  onMessage?(message: unknown, observation: AgentObservation): void;
  /** The child's raw stdout, chunk by chunk (the `run` command passes it on). */
  onOutput?(chunk: Buffer): void;
  /** Metering failed midway; output keeps flowing to `onOutput`. */
  onMeterError?(error: unknown): void;
}

export interface MeteredChildResult {
  exitCode: number;
  summary?: AgentOutputSummary;
}

/**
 * Starts a child agent under a route entry: the environment comes from `hub.childEnv(entry)` (so
 * a delegated entry's child carries no API key or auth token), SIGINT/SIGTERM are forwarded, and
 * the child's stream-json output is metered to the entry's pool while it runs.
 */
export async function runMeteredChild(options: MeteredChildOptions): Promise<MeteredChildResult> {
  const { hub, entry } = options;
  const meter = options.meter ?? true;
  const env = hub.childEnv(entry, options.baseEnv);
  const agentMeter = meter ? createAgentSdkMeter({ hub, entry }) : undefined;
  const [command, ...args] = options.argv as [string, ...string[]];
  const child = spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: ['inherit', meter || options.onOutput ? 'pipe' : 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt).on('SIGTERM', onTerm);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        cliError(
          CliErrorCodes.SPAWN_FAILED,
          `cannot start "${command}": ${error.code === 'ENOENT' ? 'no such program on PATH' : error.message}`,
          'Check the command after "--"; drawdown runs it directly, not through a shell.',
          { command },
          error,
        ),
      ),
    );
    // A child killed by a signal exits the way a shell reports it: 128 + the signal's number.
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  try {
    const stdout = child.stdout;
    if (!stdout) return { exitCode: await exited };
    async function* tee(): AsyncGenerator<Buffer> {
      for await (const chunk of stdout!) {
        options.onOutput?.(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
    const reading = (async (): Promise<AgentOutputSummary | undefined> => {
      if (!agentMeter) {
        for await (const chunk of stdout) options.onOutput?.(chunk as Buffer);
        return undefined;
      }
      const source = tee();
      try {
        return await meterAgentOutput(source, agentMeter, { ...(options.onMessage && { onMessage: options.onMessage }) });
      } catch (error) {
        // Metering must never cost the person the agent's output: report it and keep passing output on.
        options.onMeterError?.(error);
        for await (const chunk of source) void chunk;
        return undefined;
      }
    })();
    const [exitCode, summary] = await Promise.all([exited, reading]);
    return { exitCode, ...(summary && { summary }) };
  } finally {
    process.off('SIGINT', onInt).off('SIGTERM', onTerm);
  }
}
