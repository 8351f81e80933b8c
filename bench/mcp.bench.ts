import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The SDK client is a dependency of the package, not of the root: typed from there.
import type * as McpClient from '../packages/mcp-server/node_modules/@modelcontextprotocol/client/dist/index.mjs';
import type * as McpClientStdio from '../packages/mcp-server/node_modules/@modelcontextprotocol/client/dist/stdio.mjs';
import { createDrawdownMcpServer } from '../packages/mcp-server/src/index.js';
import { fixtureHub } from '../packages/mcp-server/test/fixtures/hub.js';
import { sqliteStore } from '../packages/store-sqlite/src/index.js';
import { percentile, round, sampleMicros, type Bench, type BenchRow } from './lib.js';
import { seedSettledCharges } from './seed-ledger.js';

// pool_status over stdio against a served ledger of 1,000,000 entries: the cost a client sees per
// call, through the real SDK client, a spawned server process and the SQLite store.
const here = fileURLToPath(new URL('.', import.meta.url));
const mcpPackage = new URL('../packages/mcp-server/package.json', import.meta.url);
const fromMcp = createRequire(mcpPackage);
const { Client } = (await import(
  pathToFileURL(fromMcp.resolve('@modelcontextprotocol/client')).href
)) as typeof McpClient;
const { StdioClientTransport } = (await import(
  pathToFileURL(fromMcp.resolve('@modelcontextprotocol/client/stdio')).href
)) as typeof McpClientStdio;
const { InMemoryTransport } = (await import(
  pathToFileURL(fromMcp.resolve('@modelcontextprotocol/server')).href
)) as typeof import('../packages/mcp-server/node_modules/@modelcontextprotocol/server/dist/index.mjs');

const ENTRIES = 1_000_000;
const NOW = Date.now();

async function ledger(): Promise<{ file: string; note: string }> {
  const dir = join(here, '..', '.bench-data');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'mcp-million.sqlite');
  if (existsSync(file)) return { file, note: 'seeded ledger reused from .bench-data' };
  const started = Date.now();
  await sqliteStore({ file }).close();
  try {
    seedSettledCharges(file, { account: 'trial', pairs: ENTRIES / 2, cost: 10, now: NOW });
  } catch (error) {
    rmSync(file, { force: true });
    throw new Error(`seeding the 1,000,000-entry ledger failed (store schema changed?): ${(error as Error).message}`);
  }
  return { file, note: `seeded in ${((Date.now() - started) / 1000).toFixed(1)} s` };
}

/** What estimate_cost is asked in the bench: a typical planned request. */
const ESTIMATE = { model: 'claude-sonnet-4-5', inputTokens: 12_000, maxTokens: 4_096 };

// DRAWDOWN_MCP_BENCH_PROFILE=<dir> writes a CPU profile of each server process there.
const PROFILE = process.env.DRAWDOWN_MCP_BENCH_PROFILE
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DRAWDOWN_MCP_BENCH_PROFILE}`]
  : [];
const SOURCES = ['--conditions=drawdown-source', '--import', 'tsx'];
const CLI = join(here, '..', 'packages/cli/src/bin.ts');

/** The fixture hub's stdio server on `file`, or (`config`) the real `drawdown mcp` on a config file. */
async function measure(
  era: 'legacy' | 'modern',
  server: { file: string } | { config: string },
): Promise<{ poolStatus: number[]; estimateCost: number[] }> {
  const client = new Client(
    { name: 'bench', version: '1' },
    { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args:
        'file' in server
          ? [...PROFILE, ...SOURCES, join(here, '..', 'packages/mcp-server/test/fixtures/stdio-server.ts')]
          : [...PROFILE, ...SOURCES, CLI, '--config', server.config, 'mcp'],
      env: { ...(process.env as Record<string, string>), ...('file' in server && { DRAWDOWN_DB: server.file }) },
      stderr: 'ignore',
    }),
  );
  try {
    const poolStatus = await sampleMicros(() => client.callTool({ name: 'pool_status', arguments: {} }), 5_000, 2_000);
    const estimateCost = await sampleMicros(
      () => client.callTool({ name: 'estimate_cost', arguments: ESTIMATE }),
      5_000,
      2_000,
    );
    return { poolStatus, estimateCost };
  } finally {
    await client.close();
  }
}

/**
 * The same call with client, SDK server and ledger in this one process (linked in-memory
 * transports): what the SDK and drawdown cost per call without pipes and a second process to schedule.
 */
async function measureInProcess(file: string): Promise<number[]> {
  const store = sqliteStore({ file });
  const hub = await fixtureHub(store);
  const server = createDrawdownMcpServer({ hub });
  const client = new Client({ name: 'bench', version: '1' }, { versionNegotiation: { mode: 'legacy' } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return await sampleMicros(() => client.callTool({ name: 'pool_status', arguments: {} }), 5_000, 2_000);
  } finally {
    await client.close();
    await server.close();
    await hub.close();
    await store.close();
  }
}

/** The ledger and config `drawdown demo` leaves behind: the pools and reset times users first see. */
function demoLedger(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-mcp-bench-demo-'));
  execFileSync(process.execPath, [...SOURCES, CLI, 'demo', '--dir', dir, '--json'], { stdio: 'ignore' });
  return dir;
}

export default (async () => {
  const { file, note } = await ledger();
  const rows: BenchRow[] = [];
  // What users run: the CLI's `drawdown mcp` on the demo's SQLite ledger.
  const demo = demoLedger();
  try {
    const { poolStatus, estimateCost } = await measure('legacy', { config: join(demo, 'drawdown.config.json') });
    for (const [tool, samples] of [
      ['pool_status', poolStatus],
      ['estimate_cost', estimateCost],
    ] as const) {
      rows.push({
        name: `${tool} over stdio, drawdown mcp on the demo's ledger (sqlite) p50`,
        value: round(percentile(samples, 50) / 1000, 3),
        unit: 'ms',
        aim: '≤ 0.5 ms',
      });
      rows.push({
        name: `${tool} over stdio, drawdown mcp on the demo's ledger (sqlite) p99`,
        value: round(percentile(samples, 99) / 1000, 3),
        unit: 'ms',
        aim: '≤ 2 ms',
        note: 'the CLI from sources; plan allowance, trial, credits with caps and resets',
      });
    }
  } finally {
    rmSync(demo, { recursive: true, force: true });
  }
  for (const era of ['legacy', 'modern'] as const) {
    const { poolStatus, estimateCost } = await measure(era, { file });
    const label = era === 'legacy' ? '2025-11-25' : '2026-07-28';
    for (const [tool, samples] of [
      ['pool_status', poolStatus],
      ['estimate_cost', estimateCost],
    ] as const) {
      rows.push({
        name: `${tool} over stdio, ${label}, 1,000,000 ledger entries (sqlite) p50`,
        value: round(percentile(samples, 50) / 1000, 3),
        unit: 'ms',
        aim: '≤ 0.5 ms',
      });
      rows.push({
        name: `${tool} over stdio, ${label}, 1,000,000 ledger entries (sqlite) p99`,
        value: round(percentile(samples, 99) / 1000, 3),
        unit: 'ms',
        aim: '≤ 2 ms',
        note: `2 pools, route explained per call; ${note}`,
      });
    }
  }
  const inProcess = await measureInProcess(file);
  rows.push({
    name: 'pool_status in one process (SDK client and server, in-memory transport), 2025-11-25, 1,000,000 entries p50',
    value: round(percentile(inProcess, 50) / 1000, 3),
    unit: 'ms',
  });
  rows.push({
    name: 'pool_status in one process (SDK client and server, in-memory transport), 2025-11-25, 1,000,000 entries p99',
    value: round(percentile(inProcess, 99) / 1000, 3),
    unit: 'ms',
    note: 'no pipe or second process: the stdio rows minus this is transport and scheduling',
  });
  return rows;
}) satisfies Bench;
