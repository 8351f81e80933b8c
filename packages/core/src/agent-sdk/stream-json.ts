import { StringDecoder } from 'node:string_decoder';
import { toDecimalString, type Nanos } from '../money.js';
import type { AgentObservation, AgentSdkMeter } from './meter.js';

export interface AgentOutputOptions {
  /** Called with every parsed message after the meter took it (render it, forward it...). */
  onMessage?(message: unknown, observation: AgentObservation): void | Promise<void>;
  /** Called with each line that is not JSON (the reader skips it). */
  onInvalidLine?(line: string): void;
}

export interface AgentOutputSummary {
  messages: number;
  turns: number;
  invalidLines: number;
  /** New spend charged while reading. */
  charged: Nanos;
  chargedUsd: string;
}

/**
 * Reads newline-delimited JSON, the output of `claude -p --output-format stream-json` (or of an
 * Agent SDK host), from a child's stdout and feeds each message to the meter in order. Lines that
 * are not JSON are skipped and reported through `onInvalidLine`; a meter error stops the reading.
 */
export async function meterAgentOutput(
  input: AsyncIterable<string | Uint8Array>,
  meter: AgentSdkMeter,
  options: AgentOutputOptions = {},
): Promise<AgentOutputSummary> {
  const decoder = new StringDecoder('utf8');
  const before = meter.charged;
  const summary = { messages: 0, turns: 0, invalidLines: 0 };
  let pending = '';

  const take = async (line: string): Promise<void> => {
    const text = line.trim();
    if (text === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      summary.invalidLines++;
      options.onInvalidLine?.(text);
      return;
    }
    const observation = await meter.observe(message);
    summary.messages++;
    if (observation.kind === 'turn') summary.turns++;
    await options.onMessage?.(message, observation);
  };

  for await (const chunk of input) {
    pending +=
      typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      await take(line);
      newline = pending.indexOf('\n');
    }
  }
  await take(pending + decoder.end());
  const charged = meter.charged - before;
  return { ...summary, charged, chargedUsd: toDecimalString(charged) };
}
