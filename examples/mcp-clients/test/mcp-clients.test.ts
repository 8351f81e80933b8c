import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { CLIENTS, mcpClientConfig, type ClientName, type ServerEntry } from '../src/clients.js';
import { codeBlocks, freshMachine, here, READMES, repo, shell, startShell, type Machine } from './stand-in.js';

/** Starts `entry` exactly as a client app would (command, args, env) and asks for pool status. */
async function poolStatusThrough(
  entry: ServerEntry,
  machine: Machine,
  cwd = machine.home,
): Promise<Array<{ id: string }>> {
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: { ...machine.env, ...entry.env },
    cwd,
    stderr: 'pipe',
  });
  const mcp = new Client({ name: 'client-stand-in', version: '1.0.0' });
  await mcp.connect(transport);
  try {
    const result = await mcp.callTool({ name: 'pool_status', arguments: {} });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return (result.structuredContent as { pools: Array<{ id: string }> }).pools;
  } finally {
    await mcp.close();
  }
}

/** Where the checkout form of a snippet names the user's checkout; this repository stands in for it. */
const CHECKOUT = '/path/to/drawdown';
const inThisCheckout = (text: string): string => text.replaceAll(CHECKOUT, repo.replace(/\/$/, ''));

/** Every `mcpServers` JSON snippet in the READMEs, with where it came from (a checkout's path filled in). */
const jsonSnippets = READMES.flatMap((file) =>
  codeBlocks(file)
    .filter((block) => block.lang === 'json' && block.code.includes('"mcpServers"'))
    .map((block, i) => ({
      name: `${relative(repo, file)} #${i + 1}`,
      checkout: block.code.includes(CHECKOUT),
      config: JSON.parse(inThisCheckout(block.code)) as { mcpServers: Record<string, ServerEntry> },
    })),
);
/** Every `claude mcp add … -- npx …` line (stdio) in the READMEs. */
const claudeAddLines = READMES.flatMap((file) =>
  codeBlocks(file).flatMap((block) =>
    block.code
      .split('\n')
      .filter((line) => /^claude mcp add (?!--transport http)/.test(line))
      .map(inThisCheckout),
  ),
);

describe.each(Object.keys(CLIENTS) as ClientName[])('%s file', (client) => {
  const file = join(here, CLIENTS[client].file);
  const entry = (JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof mcpClientConfig>).mcpServers.drawdown!;

  it('is the configuration the example generates: the published CLI, no key, no path to edit', () => {
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(mcpClientConfig(client));
    expect([entry.command, ...entry.args]).toEqual(['npx', '-y', '@drawdown/cli', 'mcp']);
    expect(entry.env).toBeUndefined();
  });

  it('starts a server that serves the user configuration and opens the default ledger', async () => {
    const machine = freshMachine();
    expect((await poolStatusThrough(entry, machine)).map((p) => p.id)).toEqual(['monthly']);
    expect(existsSync(machine.defaultLedger)).toBe(true);
  });
});

describe('README MCP snippets', () => {
  it('are found: Claude Desktop / Cursor / .mcp.json JSON and a claude mcp add line in each README that documents setup', () => {
    expect(jsonSnippets.length).toBeGreaterThanOrEqual(4);
    expect(claudeAddLines.length).toBeGreaterThanOrEqual(2);
  });

  it.each(jsonSnippets)('$name starts the CLI and serves the configured pools', async ({ config, checkout }) => {
    const entry = config.mcpServers.drawdown!;
    expect(entry).toBeDefined();
    if (checkout) expect([entry.command, entry.args.at(-1)]).toEqual(['node', 'mcp']);
    else expect([entry.command, ...entry.args.slice(0, 2)]).toEqual(['npx', '-y', '@drawdown/cli']);
    const machine = freshMachine();
    // Claude Desktop starts servers outside any project: the user configuration must be found.
    expect((await poolStatusThrough(entry, machine, '/')).map((p) => p.id)).toEqual(['monthly']);
    expect(existsSync(machine.defaultLedger)).toBe(true);
  });

  it.each(claudeAddLines)('`%s` registers a server the real Claude Code connects to', async (line) => {
    const machine = freshMachine();
    const added = await shell(line, machine);
    expect(added.code, added.stderr).toBe(0);
    const listed = await shell('claude mcp list', machine);
    expect(listed.stdout).toMatch(
      /drawdown: (npx -y @drawdown\/cli|node .*packages\/cli\/src\/bin\.ts) mcp - ✔ Connected/,
    );
    // And the entry Claude Code stored serves the pools when started as it starts it.
    const stored = (
      JSON.parse(readFileSync(join(machine.home, '.claude.json'), 'utf8')) as {
        mcpServers: Record<string, ServerEntry>;
      }
    ).mcpServers.drawdown!;
    expect((await poolStatusThrough(stored, machine)).map((p) => p.id)).toEqual(['monthly']);
  });

  it('the project .mcp.json is connected by the real Claude Code once the project approves it', async () => {
    const machine = freshMachine();
    const project = join(machine.home, 'project');
    mkdirSync(project);
    writeFileSync(join(project, '.mcp.json'), readFileSync(join(here, CLIENTS['claude-code'].file)));
    // What answering Claude Code's "use this project's MCP servers?" prompt records.
    writeFileSync(
      join(machine.home, '.claude.json'),
      JSON.stringify({
        projects: { [project]: { hasTrustDialogAccepted: true, enabledMcpjsonServers: ['drawdown'] } },
      }),
    );
    const listed = await shell('claude mcp list', machine, project);
    expect(listed.stdout).toMatch(/drawdown: npx -y @drawdown\/cli mcp - ✔ Connected/);
  });

  it('the HTTP lines serve one endpoint the real Claude Code connects to', async () => {
    const block = codeBlocks(READMES[0]!).find((b) => b.code.includes('mcp --http'));
    expect(block).toBeDefined();
    // The port written in the README may be taken on this machine; use a free one in both lines.
    const port = await freePort();
    const [serve, add] = block!.code
      .trim()
      .split('\n')
      .map((line) => line.replace(/\b8765\b/g, String(port)));
    const machine = freshMachine();
    // `exec`: the shell becomes the server (through the npx stand-in), so its pid is the server's.
    const server = startShell(`exec ${serve}`, machine);
    try {
      const added = await shell(add!, machine);
      expect(added.code, added.stderr).toBe(0);
      let listed = '';
      for (let attempt = 0; attempt < 20 && !/Connected/.test(listed); attempt++) {
        listed = (await shell('claude mcp list', machine)).stdout;
        if (!/Connected/.test(listed)) await new Promise((r) => setTimeout(r, 500));
      }
      expect(listed).toMatch(new RegExp(`drawdown: http://127\\.0\\.0\\.1:${port}/mcp \\(HTTP\\) - ✔ Connected`));
    } finally {
      server.child.kill('SIGTERM');
      const stopped = await server.done;
      expect(stopped.stderr).toContain(`serving http://127.0.0.1:${port}/mcp`);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
