import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ChildEnv, Hub, Nanos } from '@drawdown/core';
import {
  createAgentSdkMeter,
  createTelemetryMeter,
  meterAgentOutput,
  startOtlpReceiver,
  type AgentObservation,
  type AgentOutputSummary,
  type OtlpReceiver,
} from '@drawdown/core/agent-sdk';
import { CliErrorCodes, cliError } from '../cli-error.js';

export interface MeteredChildOptions {
  hub: Hub;
  /** Route entry whose strategy shapes the environment and whose pool is charged. */
  entry: string;
  /** Program and arguments; run directly, not through a shell. */
  argv: string[];
  /** Environment to start from before the entry's strategy shapes it. */
  baseEnv: ChildEnv;
  /** Charge the child's spend at all. Default true. */
  meter?: boolean;
  /**
   * Where the spend is read from: `stream-json` (the child's stdout, piped through), `telemetry`
   * (Claude Code's OpenTelemetry `claude_code.api_request` events, received on 127.0.0.1; the child
   * keeps the terminal), or `auto` (default): telemetry when stdout is a terminal, else stream-json.
   */
  source?: MeterSource;
  /** Whether drawdown's own stdout is a terminal (for `auto`). Default `process.stdout.isTTY`. */
  stdoutIsTerminal?: boolean;
  /** Each parsed message with what the meter made of it. */
  onMessage?(message: unknown, observation: AgentObservation): void;
  /** The child's raw stdout, chunk by chunk (the `run` command passes it on). */
  onOutput?(chunk: Buffer): void;
  /** Metering failed midway; output keeps flowing to `onOutput`. */
  onMeterError?(error: unknown): void;
}

export type MeterSource = 'auto' | 'stream-json' | 'telemetry';

export interface MeteredChildResult {
  exitCode: number;
  /** With stream-json metering. */
  summary?: AgentOutputSummary;
  /** What was metered, whichever the source. */
  metered?: {
    source: 'stream-json' | 'telemetry';
    /** Turns (stream-json) or API calls (telemetry) that added spend. */
    charged: number;
    /** Turns or API calls reported, charged or not (a failed turn reports no new spend). */
    reported: number;
    cost: Nanos;
  };
}

/**
 * Starts a child agent under a route entry: the environment comes from `hub.childEnv(entry)` (so
 * a delegated entry's child carries no API key or auth token), SIGINT/SIGTERM are forwarded, and
 * the child's spend is metered to the entry's pool while it runs — from its stream-json output
 * (piped through), or, when it owns a terminal, from Claude Code's own OpenTelemetry events sent
 * to a receiver on 127.0.0.1, leaving the terminal untouched. One source per run: reading both
 * would charge each call twice under different keys.
 */
export async function runMeteredChild(options: MeteredChildOptions): Promise<MeteredChildResult> {
  const { hub, entry } = options;
  const meter = options.meter ?? true;
  const source = options.source ?? 'auto';
  const useTelemetry =
    meter &&
    (source === 'telemetry' || (source === 'auto' && (options.stdoutIsTerminal ?? process.stdout.isTTY === true)));
  const env = hub.childEnv(entry, options.baseEnv);
  const agentMeter = meter && !useTelemetry ? createAgentSdkMeter({ hub, entry }) : undefined;
  let receiver: OtlpReceiver | undefined;
  let telemetry: ReturnType<typeof createTelemetryMeter> | undefined;
  let reportedCalls = 0;
  if (useTelemetry) {
    const telemetryMeter = createTelemetryMeter({ hub, entry });
    telemetry = telemetryMeter;
    receiver = await startOtlpReceiver({
      onLogs: async (body) => {
        try {
          reportedCalls += (await telemetryMeter.observeLogs(body)).length;
        } catch (error) {
          // The export is answered 200 anyway: a retry would meet the same error.
          options.onMeterError?.(error);
        }
      },
      onBadExport: (reason) => options.onMeterError?.(new Error(`the agent sent ${reason}`)),
    });
    Object.assign(env, receiver.env);
  }
  const [command, ...args] = options.argv as [string, ...string[]];
  // With telemetry (or no metering) the child keeps drawdown's terminal: stdin, stdout and stderr as they are.
  const pipeStdout = agentMeter !== undefined || (options.onOutput !== undefined && !useTelemetry);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command, args, {
      env: env as NodeJS.ProcessEnv,
      stdio: ['inherit', pipeStdout ? 'pipe' : 'inherit', 'inherit'],
    });
  } catch (error) {
    await receiver?.close();
    throw error;
  }
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
    if (!stdout) {
      const exitCode = await exited.finally(() => receiver?.close());
      if (!telemetry) return { exitCode };
      // Claude Code flushes its events before it exits; close() waited for the last export.
      return {
        exitCode,
        metered: { source: 'telemetry', charged: telemetry.requests, reported: reportedCalls, cost: telemetry.charged },
      };
    }
    let chargedTurns = 0;
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
        return await meterAgentOutput(source, agentMeter, {
          onMessage: (message, observation) => {
            if (observation.kind === 'turn' && observation.charge.status === 'charged') chargedTurns++;
            options.onMessage?.(message, observation);
          },
        });
      } catch (error) {
        // Metering must never cost the person the agent's output: report it and keep passing output on.
        options.onMeterError?.(error);
        for await (const chunk of source) void chunk;
        return undefined;
      }
    })();
    const [exitCode, summary] = await Promise.all([exited, reading]);
    return {
      exitCode,
      ...(summary && {
        summary,
        metered: {
          source: 'stream-json' as const,
          charged: chargedTurns,
          reported: summary.turns,
          cost: summary.charged,
        },
      }),
    };
  } finally {
    process.off('SIGINT', onInt).off('SIGTERM', onTerm);
  }
}
