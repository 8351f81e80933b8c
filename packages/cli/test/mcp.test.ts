import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { usd } from '@drawdown/core';
import { trialConfig, useProject } from './project.js';
import { binPath, runDrawdown, tsxLoader, unwrapped } from './run-cli.js';

/** Well-formed arguments for every tool, as a model sends them after reading the schemas. */
const VALID_ARGUMENTS: Record<string, Record<string, unknown>> = {
  pool_status: {},
  usage_report: {},
  estimate_cost: { model: 'claude-sonnet-4-5', inputTokens: 1000, maxTokens: 500 },
  which_pool: {},
  rate_card: {},
  add_funds: { poolId: 'wallet', amountUsd: '5' },
  set_auto_reload: { poolId: 'wallet', enabled: false },
};

let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

/** A fresh HOME with nothing in it (and no XDG overrides), as on a new machine. */
function freshHome(): { home: string; env: Record<string, string> } {
  const home = mkdtempSync(path.join(tmpdir(), 'drawdown-home-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(XDG_|DRAWDOWN_|ANTHROPIC_|CLAUDE_)/.test(key)) env[key] = value;
  return { home, env: { ...env, HOME: home, NO_COLOR: '1' } };
}

/** `drawdown mcp [args]` as an MCP client starts it: a child process on stdio. */
async function connectStdio(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'mcp', ...args],
    cwd: options.cwd,
    env: options.env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const mcp = new Client({ name: 'cli-test', version: '1.0.0' });
  await mcp.connect(transport);
  return { client: mcp, stderr: () => stderr };
}

/** Calls every listed tool but `except` and returns each one's text; every one must be an error result. */
async function everyToolFails(mcp: Client, except: string[] = []): Promise<Record<string, string>> {
  const texts: Record<string, string> = {};
  for (const tool of (await mcp.listTools()).tools) {
    if (tool.name === 'local_usage' || except.includes(tool.name)) continue;
    const result = await mcp.callTool({ name: tool.name, arguments: VALID_ARGUMENTS[tool.name] ?? {} });
    expect(result.isError, tool.name).toBe(true);
    texts[tool.name] = (result.content as Array<{ text: string }>)[0]!.text;
  }
  return texts;
}

describe('drawdown mcp', () => {
  it('serves the configured pools to an MCP client over stdio, with the key kept out', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'r1', entry: 'trial', cost: usd('0.25') }));
    ({ client } = await connectStdio([], {
      cwd: project.dir,
      env: { ...(process.env as Record<string, string>), APP_TRIAL_KEY: 'sk-ant-mcp-secret' },
    }));
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
    // The dashboard rides along as the MCP App pool_status links to, filled from the same ledger.
    const poolStatus = tools.tools.find((t) => t.name === 'pool_status')!;
    expect(poolStatus._meta).toMatchObject({ ui: { resourceUri: 'ui://drawdown/dashboard' } });
    const app = (await client.readResource({ uri: 'ui://drawdown/dashboard' })).contents[0] as { text: string };
    expect(app.text).toContain('data-mode="app"');
    expect(app.text).toContain('"trial"');
    expect(app.text).not.toContain('sk-ant-mcp-secret');
  });

  it('in a fresh HOME with no configuration, answers initialize, tools/list and every tool with where to create one', async () => {
    const { home, env } = freshHome();
    const served = await connectStdio(['--writes'], { cwd: home, env });
    client = served.client;
    expect(client.getServerVersion()).toMatchObject({
      name: 'drawdown',
      version: (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
        .version,
    });
    expect(client.getInstructions()).toMatch(/drawdown is not set up/);
    const userFile = path.join(home, '.config', 'drawdown', 'drawdown.config.json');
    // Prices need no configuration: rate_card and estimate_cost answer; every other tool says what to do.
    const pricing = ['estimate_cost', 'rate_card'];
    const texts = await everyToolFails(client, pricing);
    expect(Object.keys(texts).sort()).toEqual(
      Object.keys(VALID_ARGUMENTS)
        .filter((t) => !pricing.includes(t))
        .sort(),
    );
    for (const text of Object.values(texts)) {
      const [what, fix, ...more] = text.split('\n');
      expect(more).toEqual([]);
      expect(what).toMatch(/^drawdown is not set up: no drawdown configuration was found/);
      expect(what).toContain(userFile);
      expect(fix).toBe(
        `To fix: run "drawdown config init --global" to create ${userFile} (or set DRAWDOWN_CONFIG), then restart this MCP server; until then local_usage shows what Claude Code spent on this machine, and rate_card and estimate_cost price requests`,
      );
    }
    const card = await client.callTool({ name: 'rate_card', arguments: { model: 'claude-sonnet-4-5' } });
    expect(card.isError).toBeFalsy();
    expect(card.structuredContent).toMatchObject({
      models: [{ model: 'claude-sonnet-4-5', inputPerMTokUsd: '3', outputPerMTokUsd: '15' }],
    });
    // 1,000 input tokens at $3 and at most 500 output tokens at $15 per million: $0.0105; no pools yet.
    const estimate = await client.callTool({ name: 'estimate_cost', arguments: VALID_ARGUMENTS.estimate_cost! });
    expect(estimate.isError).toBeFalsy();
    expect(estimate.structuredContent).toMatchObject({ model: 'claude-sonnet-4-5', maxCostUsd: '0.0105', pools: [] });
    // What is true without a configuration is served: Claude Code's own usage here (none yet).
    const local = await client.callTool({ name: 'local_usage', arguments: {} });
    expect(local.isError).toBeFalsy();
    expect(local.structuredContent).toMatchObject({ mode: 'zero-config', claudeCode: { requests: 0 } });
    expect(served.stderr()).toMatch(/not set up/);
  });

  it('with a configuration that is not valid JSON, every tool names the file and the fix', async () => {
    const { home, env } = freshHome();
    const dir = path.join(home, '.config', 'drawdown');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'drawdown.config.json');
    writeFileSync(file, '{ "pools": { "trial": ');
    ({ client } = await connectStdio([], { cwd: home, env }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('which_pool');
    for (const text of Object.values(await everyToolFails(client))) {
      const [what, fix] = text.split('\n');
      expect(what).toMatch(
        new RegExp(`^drawdown is not set up: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON`),
      );
      expect(fix).toBe('To fix: Fix the syntax, then run "drawdown config check".');
    }
  });

  it('with a configuration that names a pool nobody draws from, every tool names the field', async () => {
    const project = useProject({ ...trialConfig, route: [{ id: 'x', strategy: 'nobody', pool: 'trial' }] });
    ({ client } = await connectStdio([], { cwd: project.dir, env: process.env as Record<string, string> }));
    for (const text of Object.values(await everyToolFails(client)))
      expect(text).toMatch(/route\[0\]\.strategy names "nobody"/);
  });

  it('with a configuration whose ledger file is damaged, every tool names the ledger and what to do', async () => {
    const project = useProject(trialConfig);
    writeFileSync(
      path.join(project.dir, 'ledger.sqlite'),
      Buffer.from('this is not a SQLite database, just bytes '.repeat(200)),
    );
    const served = await connectStdio([], { cwd: project.dir, env: process.env as Record<string, string> });
    client = served.client;
    const texts = await everyToolFails(client);
    for (const text of Object.values(texts)) {
      const [what, fix] = text.split('\n');
      expect(what).toMatch(/^drawdown is not set up: /);
      expect(what).toContain('ledger.sqlite');
      expect(fix).toMatch(/^To fix: .*(DRAWDOWN_DB|store)/);
    }
  });

  it('offers the write tools only when started with --writes', async () => {
    const project = useProject({
      ...trialConfig,
      pools: { ...trialConfig.pools, wallet: { kind: 'credits' } },
      route: [...trialConfig.route!, { id: 'wallet', strategy: 'bundled', pool: 'wallet' }],
    });
    ({ client } = await connectStdio(['--writes'], { cwd: project.dir, env: process.env as Record<string, string> }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['add_funds', 'set_auto_reload', 'pool_status']));
  });

  it('--http serves the configured pools on 127.0.0.1 with the same configuration, and --json prints the URL', async () => {
    const project = useProject(trialConfig);
    await project.withHub((hub) => hub.charge({ requestId: 'r-http', entry: 'trial', cost: usd('0.5') }));
    const child = spawn(
      process.execPath,
      ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'mcp', '--http', '--port', '0', '--json'],
      { cwd: project.dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
        });
        child.once('exit', (code) => reject(new Error(`drawdown mcp --http exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      client = new Client({ name: 'cli-http-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      const result = await client.callTool({ name: 'pool_status', arguments: {} });
      expect(result.isError).toBeFalsy();
      const pools = (result.structuredContent as { pools: Array<{ id: string; spentUsd: string }> }).pools;
      expect(pools.map((p) => p.id)).toEqual(['trial', 'daily']);
      expect(pools[0]!.spentUsd).toBe('0.5');
      await client.close();
      client = undefined;
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('--http refuses a non-loopback address without a token, and bad numbers, naming the flag', async () => {
    const project = useProject(trialConfig);
    const open = await runDrawdown(['mcp', '--http', '--host', '0.0.0.0', '--port', '0'], {
      cwd: project.dir,
      env: { DRAWDOWN_MCP_TOKEN: undefined },
    });
    expect(open.code).toBe(1);
    expect(open.stdout).toBe('');
    expect(unwrapped(open.stderr)).toMatch(/refusing to serve MCP on 0\.0\.0\.0 without a bearer token/);
    expect(unwrapped(open.stderr)).toMatch(/hint: Pass --token .* \(or set DRAWDOWN_MCP_TOKEN\)/);
    const short = await runDrawdown(['mcp', '--http', '--token', 'too-short'], { cwd: project.dir });
    expect(short.code).toBe(1);
    expect(unwrapped(short.stderr)).toMatch(
      /bearer token \(--token or DRAWDOWN_MCP_TOKEN\) has 9 characters; it needs 16 or more/,
    );
    const port = await runDrawdown(['mcp', '--http', '--port', 'eighty'], { cwd: project.dir });
    expect(port.code).toBe(1);
    expect(unwrapped(port.stderr)).toMatch(/--port eighty is not a whole number \(from 0 to 65535\)/);
    const sessions = await runDrawdown(['mcp', '--max-sessions', '0'], { cwd: project.dir });
    expect(unwrapped(sessions.stderr)).toMatch(/--max-sessions 0 is not a whole number \(1 or more\)/);
  });
});
