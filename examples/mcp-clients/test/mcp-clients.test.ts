import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { CLIENTS, mcpClientConfig, type ClientName } from '../src/clients.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = join(here, '..', '..');
const EXAMPLE_PATH = '/Users/you/.config/drawdown/drawdown.config.json';

function drawdownConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-mcp-clients-'));
  const file = join(dir, 'drawdown.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      store: { kind: 'sqlite', file: 'ledger.sqlite' },
      strategies: { key: { kind: 'apiKey' } },
      pools: { monthly: { kind: 'budget', amount: '20.00', period: 'month' } },
      route: [{ id: 'api', strategy: 'key', pool: 'monthly' }],
    }),
  );
  return file;
}

describe.each(Object.keys(CLIENTS) as ClientName[])('%s configuration', (client) => {
  const file = join(here, CLIENTS[client].file);
  const entry = (JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof mcpClientConfig>).mcpServers.drawdown!;

  it('is the configuration the example generates, naming the drawdown config and no key', () => {
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(mcpClientConfig(client, EXAMPLE_PATH));
    expect(entry.args.slice(-2)).toEqual(['@drawdown/cli', 'mcp']);
    expect(Object.keys(entry.env)).toEqual(['DRAWDOWN_CONFIG']);
  });

  it('starts a server an MCP client can ask for pool status', async () => {
    // The same command line, with `npx -y @drawdown/cli` replaced by this repository's CLI sources.
    const cliArgs = entry.args.slice(entry.args.indexOf('@drawdown/cli') + 1);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--conditions=drawdown-source', '--import', pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href, join(repo, 'packages/cli/src/bin.ts'), ...cliArgs],
      env: { ...(process.env as Record<string, string>), ...entry.env, DRAWDOWN_CONFIG: drawdownConfig() },
      stderr: 'pipe',
    });
    const mcp = new Client({ name: `${client}-stand-in`, version: '1.0.0' });
    await mcp.connect(transport);
    try {
      const result = await mcp.callTool({ name: 'pool_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect((result.content as Array<{ text: string }>)[0]!.text).toContain('"monthly"');
    } finally {
      await mcp.close();
    }
  });
});
