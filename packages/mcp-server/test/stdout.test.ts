import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY } from './fixtures/hub.js';
import { callError, callJson, ERAS, fixture, newClient, tempDb, until } from './helpers.js';

/** Spawns `entry` with its stdout copied, byte for byte, into a file the test reads afterwards. */
function teedTransport(
  entry: string,
  env: Record<string, string>,
): { transport: StdioClientTransport; stdoutFile: string } {
  const stdoutFile = join(dirname(tempDb()), 'stdout.jsonl');
  const command = `"${process.execPath}" --conditions=drawdown-source --import tsx "${entry}" | tee "${stdoutFile}"`;
  const transport = new StdioClientTransport({
    command: '/bin/sh',
    args: ['-c', command],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  return { transport, stdoutFile };
}

/** Every line of the captured stdout must be one JSON-RPC 2.0 message. */
function jsonRpcLines(file: string): Array<Record<string, unknown>> {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      expect(message.jsonrpc).toBe('2.0');
      expect('method' in message || 'result' in message || 'error' in message).toBe(true);
      return message;
    });
}

describe('stdout over stdio', () => {
  for (const era of ERAS) {
    it(`carries nothing but JSON-RPC, with no secret, on a busy ${era}-era session`, async () => {
      const { transport, stdoutFile } = teedTransport(fixture('stdio-server.ts'), {
        DRAWDOWN_DB: tempDb(),
        MCP_WRITES: '1',
      });
      const client = newClient({ era, canConfirm: true });
      await client.connect(transport);
      await client.listTools();
      await callJson(client, 'pool_status');
      await callJson(client, 'which_pool');
      await callJson(client, 'add_funds', { poolId: 'credits', amountUsd: '1' });
      await callError(client, 'estimate_cost', { model: 'gpt-4', inputTokens: 1, maxTokens: 1 });
      await callError(client, 'usage_report', { from: 'yesterday' });
      await client.readResource({ uri: 'drawdown://pools' });
      await until(
        () => readFileSync(stdoutFile, 'utf8').includes('"drawdown://pools"'),
        'the last reply in the captured stdout',
      );
      await client.close();
      const messages = jsonRpcLines(stdoutFile);
      expect(messages.length).toBeGreaterThanOrEqual(8);
      expect(readFileSync(stdoutFile, 'utf8')).not.toContain(SECRET_KEY);
    });
  }
});
