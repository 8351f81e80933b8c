import { describe, expect, it } from 'vitest';
import { LIST_MODULES, loadedModules } from '../../../test-support/loaded-modules.js';
import { runDrawdown, unwrapped } from './run-cli.js';

async function modulesLoadedBy(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; modules: string[] }> {
  const result = await runDrawdown(args, { env: { NODE_OPTIONS: LIST_MODULES } });
  return { ...result, modules: loadedModules(result.stderr) };
}

const from = (modules: string[], part: string): string[] => modules.filter((m) => m.includes(part));

describe('starting the CLI', () => {
  it('loads only the command it runs: rates needs neither the SDK, the gateway server nor the MCP server', async () => {
    const { code, stdout, modules } = await modulesLoadedBy(['rates', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toBeTruthy();
    expect(from(modules, '@anthropic-ai/sdk')).toEqual([]);
    // The configuration's budget levels are checked with the gateway's rules; its server stays unloaded.
    expect(from(modules, '/packages/gateway/src/http')).toEqual([]);
    expect(from(modules, '/packages/gateway/src/messages')).toEqual([]);
    expect(from(modules, '/packages/mcp-server/')).toEqual([]);
    expect(from(modules, 'prom-client')).toEqual([]);
  });

  it('still finds the command after a global option that takes a value', async () => {
    // `rates` itself reads the named file: its complaint shows that `rates` ran, not an unknown command.
    const { stderr, modules } = await modulesLoadedBy(['-c', 'no-such.json', 'rates', '--json']);
    expect(JSON.parse(stderr.split('\n')[0]!)).toMatchObject({ code: 'DRAWDOWN_CLI_INVALID_CONFIG' });
    expect(from(modules, '@anthropic-ai/sdk')).toEqual([]);
  });

  it('lists every command under --help, and suggests the nearest for a typo', async () => {
    const help = await runDrawdown(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['status', 'report', 'reconcile', 'rates', 'gateway', 'keys', 'config', 'demo'])
      expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(help.stdout).not.toContain('demo-agent');
    const typo = await runDrawdown(['stauts']);
    expect(typo.code).not.toBe(0);
    expect(unwrapped(typo.stderr)).toContain('(Did you mean status?)');
  });
});
