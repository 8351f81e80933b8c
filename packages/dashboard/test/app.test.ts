import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/ext-apps';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@drawdown/core';
import { createDrawdownMcpServer, DASHBOARD_APP_URI, type PoolView } from '@drawdown/mcp-server';
import { demoHub, SECRET_KEY, seedDemo } from './fixtures/demo-hub.js';
import { dashboardApp } from '../src/app.js';
import { readDashboard } from '../src/snapshot.js';
import { shownText, tempLedger } from './helpers.js';
import { chromiumArgs, chromiumAvailable, chromiumPath } from '../../../test-support/services.js';

/** What the host page below puts on its window for the test to read and call. */
interface HostPageGlobals {
  hostLog: string[];
  pushToolResult(result: unknown): void;
}

const CHROMIUM = chromiumPath;
const ARGS = chromiumArgs;
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
const haveBrowser = chromiumAvailable('the MCP App browser tests');

const attr = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/**
 * A minimal MCP Apps host page: the app's HTML in a sandboxed iframe (scripts only, opaque origin,
 * as hosts render it), and the host's side of the App bridge over postMessage — answer
 * `ui/initialize`, forward `tools/call` to the real MCP client in the test, and push a tool result.
 */
function hostPage(appHtml: string): string {
  return `<!doctype html><html><body style="margin:0">
<iframe id="app" sandbox="allow-scripts" style="width:1000px;height:1300px;border:0" srcdoc="${attr(appHtml)}"></iframe>
<script>
  const frame = document.getElementById('app');
  window.hostLog = [];
  const reply = (id, result) => frame.contentWindow.postMessage({ jsonrpc: '2.0', id, result }, '*');
  window.pushToolResult = (result) => frame.contentWindow.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: result }, '*');
  window.addEventListener('message', async (event) => {
    if (event.source !== frame.contentWindow) return;
    const message = event.data;
    window.hostLog.push(message.method ?? 'response');
    if (message.id === undefined) return;
    if (message.method === 'ui/initialize') {
      reply(message.id, { protocolVersion: '${LATEST_PROTOCOL_VERSION}', hostInfo: { name: 'drawdown-test-host', version: '1.0.0' }, hostCapabilities: { serverTools: {} }, hostContext: { theme: 'light', displayMode: 'inline' } });
    } else if (message.method === 'tools/call') {
      reply(message.id, await window.callServerTool(message.params.name, message.params.arguments ?? {}));
    } else {
      reply(message.id, {});
    }
  });
</script></body></html>`;
}

describe('the dashboard MCP App, read by the real MCP client', () => {
  let hub: Hub;
  let client: Client;
  beforeAll(async () => {
    hub = await demoHub(tempLedger());
    await seedDemo(hub);
    const server = createDrawdownMcpServer({ hub, dashboardApp });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: 'drawdown-app-test', version: '1.0.0' });
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
    await hub?.close();
    await hub?.store.close();
  });

  it('links pool_status to a ui:// resource of the ext-apps mime type, listed and readable', async () => {
    const { tools } = await client.listTools();
    const uri = (tools.find((t) => t.name === 'pool_status')!._meta as { ui: { resourceUri: string } }).ui.resourceUri;
    expect(uri).toBe(DASHBOARD_APP_URI);
    const { resources } = await client.listResources();
    expect(resources.find((r) => r.uri === uri)).toMatchObject({ mimeType: RESOURCE_MIME_TYPE });
    const content = (await client.readResource({ uri })).contents[0] as { mimeType: string; text: string };
    expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
    expect(content.text).not.toContain(SECRET_KEY);
  });

  it('reads as one self-contained document carrying the snapshot of the moment it was read', async () => {
    const html = ((await client.readResource({ uri: DASHBOARD_APP_URI })).contents[0] as { text: string }).text;
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('data-mode="app"');
    // Inlined: no script or stylesheet is fetched from anywhere (the host's iframe has no network).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/i);
    expect(html).toContain('globalThis.McpApps={App:');
    expect(html).toContain('uPlot');
    const initial = JSON.parse(/<script type="application\/json" id="initial">(.*?)<\/script>/s.exec(html)![1]!);
    expect(initial.pools.map((p: { id: string }) => p.id)).toEqual(['trial', 'plan', 'credits']);
  });

  it('gives the page the route in the shape which_pool returns', async () => {
    const result = await client.callTool({ name: 'which_pool', arguments: {} });
    expect((await readDashboard(hub)).route).toEqual(result.structuredContent);
  });

  it('gives the page the pools in the shape pool_status returns, forecasts included, plus whether each is fundable', async () => {
    const result = await client.callTool({ name: 'pool_status', arguments: {} });
    const fromTool = (result.structuredContent as { pools: PoolView[] }).pools;
    const cards = (await readDashboard(hub)).pools;
    // A forecast is read at an instant (its rate decays with time): the two reads agree on all but the instants.
    const steady = ({ forecast, ...pool }: PoolView) => ({
      ...pool,
      forecast: forecast && {
        basis: forecast.basis,
        keys: Object.keys(forecast).sort(),
        window: forecast.rate?.window,
      },
    });
    expect(cards.map(({ fundable: _fundable, ...view }) => steady(view))).toEqual(fromTool.map(steady));
    expect(cards.map((c) => c.forecast?.summary.startsWith('forecast: '))).toEqual([true, true, true]);
    expect(cards.map((c) => [c.id, c.fundable])).toEqual([
      ['trial', false],
      ['plan', false],
      ['credits', true],
    ]);
  });

  describe('rendered by a host in Chromium', { skip: !haveBrowser }, () => {
    let context: BrowserContext;
    beforeAll(async () => {
      context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'drawdown-chromium-')), {
        executablePath: CHROMIUM,
        args: ARGS,
        headless: true,
      });
    });
    afterAll(async () => {
      await context?.close();
    });

    it('shows the pools, connects through the App bridge, and follows pool_status results', async () => {
      const html = ((await client.readResource({ uri: DASHBOARD_APP_URI })).contents[0] as { text: string }).text;
      const page = await context.newPage();
      await page.setViewportSize({ width: 1000, height: 1300 });
      const problems: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.exposeFunction('callServerTool', (name: string, args: Record<string, unknown>) =>
        client.callTool({ name, arguments: args }),
      );
      await page.setContent(hostPage(html));
      const app = page.frameLocator('#app');
      await app.locator('[data-pool="credits"]').waitFor();
      expect(await shownText(app.locator('[data-pool="trial"] .balance'))).toMatch(/\$6\.34\s*left/);
      // The view calls pool_status and which_pool through the host once connected.
      await expect.poll(() => shownText(app.locator('#live')), { timeout: 15_000 }).toBe('in app');
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as HostPageGlobals).hostLog), { timeout: 15_000 })
        .toEqual(expect.arrayContaining(['ui/initialize', 'ui/notifications/initialized', 'tools/call']));
      // A charge, then the host hands the view a fresh pool_status result (what a host does after the tool runs).
      await hub.charge({
        requestId: 'app-1',
        entry: 'trial',
        model: 'claude-sonnet-4-5',
        usage: { input_tokens: 100_000, output_tokens: 20_000 },
      });
      const result = await client.callTool({ name: 'pool_status', arguments: {} });
      await page.evaluate((r) => (globalThis as unknown as HostPageGlobals).pushToolResult(r), result);
      await expect.poll(() => shownText(app.locator('[data-pool="trial"] .balance'))).toMatch(/\$5\.74\s*left/);
      await expect
        .poll(() => shownText(app.locator('#route-next')))
        .toMatch(/Next request → trial.*\$5\.74 of \$10\.00/);
      await page.screenshot({ path: join(ARTIFACTS, 'mcp-app.png') });
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
