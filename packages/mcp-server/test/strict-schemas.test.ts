import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { portableJsonSchema } from '../src/portable-schema.js';
import { fixture, newClient, stdioTransport, tempDb } from './helpers.js';

// The MCP Inspector's own CLI (pinned devDependency), run as a user would: `--strict` reports every
// tool-schema portability problem on stderr (and exits 6 on error-severity ones).
const inspectorPackage = createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector/package.json');
const inspector = join(dirname(inspectorPackage), 'clients', 'launcher', 'build', 'index.js');

function runInspector(
  serverArgs: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const envFlags = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [inspector, '--cli', ...envFlags, ...serverArgs, '--method', 'tools/list', '--strict'],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd && { cwd }) },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// `drawdown mcp` from the workspace CLI, started by path (absolute loader, so any working directory works).
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const drawdownMcp = [
  'node',
  '--conditions=drawdown-source',
  '--import',
  pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href,
  join(repoRoot, 'packages/cli/src/bin.ts'),
  'mcp',
];

/** A fresh HOME with nothing in it, so no user configuration is found: the zero-config server. */
const freshHome = (): string => mkdtempSync(join(tmpdir(), 'drawdown-mcp-home-'));

/** A project with a real configuration: a budget and a credits wallet on an API key, one SQLite ledger. */
function configuredProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-mcp-project-'));
  const config = {
    timeZone: 'UTC',
    store: { kind: 'sqlite', file: 'ledger.sqlite' },
    strategies: { own: { kind: 'apiKey', envVar: 'APP_KEY' } },
    pools: {
      daily: { kind: 'budget', amount: '5.00', period: 'day', label: 'daily budget' },
      wallet: { kind: 'credits', provider: 'manual' },
    },
    route: [
      { id: 'daily', strategy: 'own', pool: 'daily' },
      { id: 'wallet', strategy: 'own', pool: 'wallet', optedIn: true },
    ],
  };
  writeFileSync(join(dir, 'drawdown.config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** The Inspector's own stderr: the server's diagnostics (passed through, each line `drawdown mcp: …`) taken out. */
// drawdown's own lines wrap at 80 columns with two-space continuation lines: joined back first.
const inspectorOnly = (stderr: string): string =>
  stderr
    .replace(/\n {2}(?=\S)/g, ' ')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('drawdown mcp: '))
    .join('\n');

const toolNames = (stdout: string): string[] =>
  (JSON.parse(stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name).sort();

/** Every place the Inspector's --strict objects to, checked by hand as a second opinion. */
function unportable(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  if (Array.isArray(schema)) return schema.flatMap((item, i) => unportable(item, `${path}[${i}]`));
  const found: string[] = [];
  const record = schema as Record<string, unknown>;
  if (Array.isArray(record.type)) found.push(`${path}.type is an array ${JSON.stringify(record.type)}`);
  for (const [key, value] of Object.entries(record)) {
    if (key === 'properties' || key === '$defs') {
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
        if (typeof sub === 'object' && sub !== null && Object.keys(sub).length === 0)
          found.push(`${path}.${key}.${name} is {}`);
        found.push(...unportable(sub, `${path}.${key}.${name}`));
      }
    } else if (typeof value === 'object' && value !== null) {
      if (!Array.isArray(value) && Object.keys(value).length === 0 && key !== 'properties')
        found.push(`${path}.${key} is {}`);
      found.push(...unportable(value, `${path}.${key}`));
    }
  }
  return found;
}

describe('tool schemas', () => {
  it('are clean under the MCP Inspector CLI --strict, write tools included', async () => {
    const result = await runInspector(
      ['node', '--conditions=drawdown-source', '--import', 'tsx', fixture('stdio-server.ts')],
      { MCP_WRITES: '1', DRAWDOWN_DB: tempDb() },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const names = (JSON.parse(result.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['pool_status', 'which_pool', 'estimate_cost', 'add_funds', 'set_auto_reload']),
    );
  }, 120_000);

  it('are clean under --strict as `drawdown mcp --writes` serves them from a real configuration', async () => {
    const project = configuredProject();
    const result = await runInspector(
      [...drawdownMcp, '--writes'],
      { HOME: freshHome(), APP_KEY: 'sk-ant-inspector-0000', DRAWDOWN_CONFIG: join(project, 'drawdown.config.json') },
      project,
    );
    expect(result.stderr).toContain('drawdown mcp: serving over stdio');
    expect(result.stderr).not.toContain('not set up');
    expect(inspectorOnly(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    expect(toolNames(result.stdout)).toEqual([
      'add_funds',
      'estimate_cost',
      'local_usage',
      'pool_status',
      'rate_card',
      'set_auto_reload',
      'usage_report',
      'which_pool',
    ]);
  }, 120_000);

  it('are clean under --strict as `drawdown mcp` serves them with no configuration (local_usage included)', async () => {
    const home = freshHome();
    const result = await runInspector(drawdownMcp, { HOME: home }, home);
    expect(result.stderr).toContain('drawdown mcp: not set up');
    expect(inspectorOnly(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    expect(toolNames(result.stdout)).toEqual([
      'estimate_cost',
      'local_usage',
      'pool_status',
      'rate_card',
      'usage_report',
      'which_pool',
    ]);
  }, 120_000);

  it('the Inspector check can fail: the zod default spelling of the same fields is reported', async () => {
    const result = await runInspector(['node', '--import', 'tsx', fixture('unportable-server.ts')], {});
    expect(result.stderr).toMatch(/Path: outputSchema\.properties\.fits[\s\S]*type` is an array/);
    expect(result.stderr).toMatch(/Path: outputSchema\.properties\.details\.additionalProperties/);
    // The hand-written walker agrees with the Inspector on both.
    expect(
      unportable({
        type: 'object',
        properties: { a: { type: ['boolean', 'null'] }, b: { type: 'object', additionalProperties: {} } },
      }),
    ).toEqual(['$.properties.a.type is an array ["boolean","null"]', '$.properties.b.additionalProperties is {}']);
    expect(
      unportable(
        portableJsonSchema({
          type: 'object',
          properties: {
            a: { type: ['boolean', 'null'], description: 'x' },
            b: { type: 'object', additionalProperties: {} },
          },
        }),
      ),
    ).toEqual([]);
  }, 120_000);

  it('have no type arrays and no empty schemas in any input or output schema (both eras)', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      const client = newClient({ era });
      await client.connect(stdioTransport({ DRAWDOWN_DB: tempDb(), MCP_WRITES: '1' }));
      const { tools } = await client.listTools();
      expect(tools.length).toBe(7);
      for (const tool of tools) {
        expect(unportable(tool.inputSchema, `${tool.name}.inputSchema`)).toEqual([]);
        expect(unportable(tool.outputSchema, `${tool.name}.outputSchema`)).toEqual([]);
      }
      await client.close();
    }
  }, 60_000);
});
