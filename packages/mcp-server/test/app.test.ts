import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '@modelcontextprotocol/ext-apps/server';
import { memoryStore, type Hub } from '@drawdown/core';
import { DASHBOARD_APP_URI, serveHttp, type HttpHandle } from '../src/index.js';
import { fixtureHub, SECRET_KEY } from './fixtures/hub.js';
import { ERAS, httpTransport, newClient } from './helpers.js';

describe('the dashboard as an MCP App attached to pool_status', () => {
  let hub: Hub;
  let http: HttpHandle;
  beforeAll(async () => {
    hub = await fixtureHub(memoryStore());
    http = await serveHttp({ hub });
  });
  afterAll(async () => {
    await http.close();
    await hub.close();
  });

  for (const era of ERAS) {
    describe(`${era} era`, () => {
      it('links pool_status to the app in tools/list, with both spellings ext-apps defines', async () => {
        const client = newClient({ era });
        await client.connect(httpTransport(http.url));
        const { tools } = await client.listTools();
        const poolStatus = tools.find((t) => t.name === 'pool_status')!;
        expect(poolStatus._meta).toMatchObject({
          ui: { resourceUri: DASHBOARD_APP_URI },
          [RESOURCE_URI_META_KEY]: DASHBOARD_APP_URI,
        });
        expect(DASHBOARD_APP_URI).toMatch(/^ui:\/\//);
        // Tools without a view carry no link.
        expect(tools.find((t) => t.name === 'rate_card')!._meta?.ui).toBeUndefined();
        await client.close();
      });

      it('lists the ui:// resource and reads it as one self-contained HTML document', async () => {
        const client = newClient({ era });
        await client.connect(httpTransport(http.url));
        const { resources } = await client.listResources();
        const app = resources.find((r) => r.uri === DASHBOARD_APP_URI);
        expect(app).toMatchObject({ uri: DASHBOARD_APP_URI, mimeType: RESOURCE_MIME_TYPE, name: 'dashboard' });
        const read = await client.readResource({ uri: DASHBOARD_APP_URI });
        const content = read.contents[0] as {
          uri: string;
          mimeType: string;
          text: string;
          _meta?: Record<string, unknown>;
        };
        expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
        expect(content._meta).toMatchObject({ ui: { prefersBorder: true } });
        const html = content.text;
        expect(html).toMatch(/^<!doctype html>/i);
        expect(html).toContain('data-mode="app"');
        // Inlined: no script or stylesheet is fetched from anywhere (the host's iframe has no network).
        expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/i);
        expect(html).toContain('globalThis.McpApps={App:');
        expect(html).toContain('uPlot');
        // The snapshot at read time: the fixture's pools, and never a key.
        const initial = JSON.parse(/<script type="application\/json" id="initial">(.*?)<\/script>/s.exec(html)![1]!);
        expect(initial.pools.map((p: { id: string }) => p.id)).toEqual(['trial', 'credits']);
        expect(html).not.toContain(SECRET_KEY);
        await client.close();
      });
    });
  }

  it('still answers pool_status with the structured result a host without apps shows', async () => {
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(http.url));
    const result = await client.callTool({ name: 'pool_status', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { pools: unknown[] }).pools).toHaveLength(2);
    await client.close();
  });
});
