import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { usd } from '@drawdown/core';
import { trialConfig, useProject } from './project.js';
import { binPath, runDrawdown, tsxLoader } from './run-cli.js';

let client: Client | undefined;
afterEach(async () => {
  await client?.close();
});

describe('drawdown mcp', () => {
  it('serves the configured pools to an MCP client over stdio, with the key kept out', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'r1', entry: 'trial', cost: usd('0.25') }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'mcp'],
      cwd: project.dir,
      env: { ...(process.env as Record<string, string>), APP_TRIAL_KEY: 'sk-ant-mcp-secret' },
      stderr: 'pipe',
    });
    client = new Client({ name: 'cli-test', version: '1.0.0' });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('pool_status');
    // Writes are off unless asked for.
    expect(tools.tools.map((t) => t.name)).not.toContain('add_funds');
    const result = await client.callTool({ name: 'pool_status', arguments: {} });
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    expect(result.isError).toBeFalsy();
    expect(text).toContain('"trial"');
    expect(text).toContain('0.25');
    expect(text).not.toContain('sk-ant-mcp-secret');
  });

  it('fails before serving, with one line on stderr and nothing on stdout, when the configuration is invalid', async () => {
    const project = useProject({ ...trialConfig, route: [{ id: 'x', strategy: 'nobody', pool: 'trial' }] });
    const result = await runDrawdown(['mcp'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^drawdown: .*route\[0\]\.strategy names "nobody"/);
  });

  it('offers the write tools only when started with --writes', async () => {
    const project = useProject({
      ...trialConfig,
      pools: { ...trialConfig.pools, wallet: { kind: 'credits' } },
      route: [...trialConfig.route!, { id: 'wallet', strategy: 'bundled', pool: 'wallet' }],
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'mcp', '--writes'],
      cwd: project.dir,
      env: process.env as Record<string, string>,
      stderr: 'pipe',
    });
    client = new Client({ name: 'cli-test', version: '1.0.0' });
    await client.connect(transport);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['add_funds', 'set_auto_reload', 'pool_status']));
  });
});
