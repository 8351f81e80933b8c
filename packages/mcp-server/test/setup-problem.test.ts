import { defaultRateCard, isDrawdownError } from '@drawdown/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDrawdownMcpServer, serveHttp, type HttpHandle, type SetupProblem } from '../src/index.js';
import { fixtureHub } from './fixtures/hub.js';
import { ERAS, httpTransport, newClient } from './helpers.js';

const PROBLEM: SetupProblem = {
  message: '/home/u/.config/drawdown/drawdown.config.json is not valid JSON: Unexpected token } in JSON at position 12',
  hint: 'Fix the syntax, then run "drawdown config check".',
  code: 'DRAWDOWN_CLI_INVALID_CONFIG',
};
/** Well-formed arguments for every tool: what a model would send once it has read the schemas. */
export const VALID_ARGUMENTS: Record<string, Record<string, unknown>> = {
  pool_status: {},
  usage_report: {},
  estimate_cost: { model: 'claude-sonnet-4-5', inputTokens: 1000, maxTokens: 500 },
  which_pool: {},
  rate_card: {},
  add_funds: { poolId: 'credits', amountUsd: '5' },
  set_auto_reload: { poolId: 'credits', enabled: false },
};
const ALL_TOOLS = Object.keys(VALID_ARGUMENTS).sort();

describe('a server with a setup problem instead of a hub', () => {
  let handle: HttpHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  for (const era of ERAS) {
    it(`answers initialize and tools/list, and every tool with what is wrong and how to fix it (${era} era)`, async () => {
      handle = await serveHttp({ setupProblem: PROBLEM, writes: true });
      const client = newClient({ era });
      await client.connect(httpTransport(handle.url));
      expect(client.getServerVersion()?.name).toBe('drawdown');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
      for (const tool of tools) {
        const result = await client.callTool({ name: tool.name, arguments: VALID_ARGUMENTS[tool.name]! });
        expect(result.isError, tool.name).toBe(true);
        const lines = (result.content as Array<{ text: string }>)[0]!.text.split('\n');
        expect(lines).toEqual([
          'drawdown is not set up: /home/u/.config/drawdown/drawdown.config.json is not valid JSON: Unexpected token } in JSON at position 12 (DRAWDOWN_CLI_INVALID_CONFIG)',
          'To fix: Fix the syntax, then run "drawdown config check".',
        ]);
      }
      const pools = await client.readResource({ uri: 'drawdown://pools' });
      expect((pools.contents[0] as { text: string }).text).toMatch(/^drawdown is not set up: .*drawdown\.config\.json/);
      await client.close();
    });
  }

  it('links no MCP App it cannot serve, and lists no ui:// resource', async () => {
    handle = await serveHttp({ setupProblem: PROBLEM });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    const { tools } = await client.listTools();
    for (const tool of tools) expect(tool._meta ?? {}, tool.name).toEqual({});
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(['drawdown://pools']);
    await client.close();
  });

  for (const era of ERAS) {
    it(`answers malformed arguments with the setup guidance, not a validation error (${era} era)`, async () => {
      handle = await serveHttp({ setupProblem: PROBLEM, writes: true });
      const client = newClient({ era });
      await client.connect(httpTransport(handle.url));
      const malformed: Record<string, Record<string, unknown>> = {
        pool_status: { poolId: 42 },
        usage_report: { groupBy: 'nonsense', from: false },
        estimate_cost: { model: 7, maxTokens: -1 },
        which_pool: { unexpected: [1, 2] },
        rate_card: { model: { nested: true } },
        add_funds: { amountUsd: 'lots' },
        set_auto_reload: {},
      };
      for (const [name, args] of Object.entries(malformed)) {
        const result = await client.callTool({ name, arguments: args });
        expect(result.isError, name).toBe(true);
        const text = (result.content as Array<{ text: string }>)[0]!.text;
        expect(text, name).toMatch(/^drawdown is not set up: .*\nTo fix: Fix the syntax/);
        expect(text, name).not.toMatch(/validation/i);
      }
      // Listed schemas stay the real ones, so a client still sees what a good call looks like.
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'estimate_cost')!.inputSchema.required).toEqual(
        expect.arrayContaining(['model']),
      );
      await client.close();
    });
  }

  it('prices with rate_card and estimate_cost when the problem brings a sound rate card (no configuration at all)', async () => {
    handle = await serveHttp({ setupProblem: { ...PROBLEM, rateCard: defaultRateCard } });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    const card = await client.callTool({ name: 'rate_card', arguments: { model: 'claude-haiku-4-5' } });
    expect(card.isError).toBeFalsy();
    expect(card.structuredContent).toMatchObject({
      models: [{ model: 'claude-haiku-4-5', inputPerMTokUsd: '1', outputPerMTokUsd: '5' }],
    });
    // Sonnet 4.5: 1,000 input tokens at $3 and up to 500 output tokens at $15 per million: $0.0105.
    const estimate = await client.callTool({ name: 'estimate_cost', arguments: VALID_ARGUMENTS.estimate_cost! });
    expect(estimate.isError).toBeFalsy();
    expect(estimate.structuredContent).toMatchObject({ maxCostUsd: '0.0105', pools: [] });
    // A bad argument is the tool's own error, not the setup problem.
    const unknown = await client.callTool({ name: 'rate_card', arguments: { model: 'claude-nope-1' } });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).not.toContain('not set up');
    // Everything that needs pools still says what to fix.
    expect((await client.callTool({ name: 'pool_status', arguments: {} })).isError).toBe(true);
    await client.close();
  });

  it('offers local_usage with data when the problem brings a view that needs no configuration', async () => {
    const calls: Array<{ days?: number }> = [];
    handle = await serveHttp({
      setupProblem: {
        ...PROBLEM,
        localUsage: async (options) => {
          calls.push(options);
          return { mode: 'zero-config', totalUsd: '1.25' };
        },
      },
    });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('local_usage');
    const result = await client.callTool({ name: 'local_usage', arguments: { days: 30 } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ mode: 'zero-config', totalUsd: '1.25' });
    expect(calls).toEqual([{ days: 30 }]);
    // The other tools still say what to fix.
    expect((await client.callTool({ name: 'pool_status', arguments: {} })).isError).toBe(true);
    await client.close();
  });

  it('offers local_usage beside a hub too, when the host gives observed spend, and answers with its failure', async () => {
    const hub = await fixtureHub();
    let fail = false;
    handle = await serveHttp({
      hub,
      localUsage: async () => {
        if (fail) throw new Error('EACCES: permission denied, open /home/u/.claude/projects');
        return { source: 'claude-code-logs', observed: true, totalUsd: '2' };
      },
    });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['local_usage', 'pool_status']));
    const result = await client.callTool({ name: 'local_usage', arguments: {} });
    expect(result.structuredContent).toEqual({ source: 'claude-code-logs', observed: true, totalUsd: '2' });
    expect((await client.callTool({ name: 'pool_status', arguments: {} })).isError).toBeFalsy();
    fail = true;
    const failed = await client.callTool({ name: 'local_usage', arguments: {} });
    expect(failed.isError).toBe(true);
    expect(JSON.stringify(failed.content)).toContain("could not read Claude Code's logs: EACCES");
    await client.close();
    await hub.close();
  });

  it('refuses to be built with both a hub and a problem, or with neither, naming the field', async () => {
    const hub = await fixtureHub();
    const failure = (make: () => unknown): unknown => {
      try {
        make();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const both = failure(() => createDrawdownMcpServer({ hub, setupProblem: PROBLEM }));
    expect(isDrawdownError(both)).toBe(true);
    expect((both as Error).message).toMatch(/"setupProblem" is given together with hub/);
    expect((failure(() => createDrawdownMcpServer({})) as Error).message).toMatch(/"hub" is missing/);
    await expect(serveHttp({})).rejects.toThrow(/"hub" is missing/);
  });
});
