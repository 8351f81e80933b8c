import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '@modelcontextprotocol/ext-apps/server';
import { memoryStore, silentLogger, type Hub } from '@drawdown/core';
import { DASHBOARD_APP_URI, serveHttp, type DashboardApp, type HttpHandle } from '../src/index.js';
import { fixtureHub } from './fixtures/hub.js';
import { ERAS, httpTransport, newClient } from './helpers.js';

/** An app that renders the pool ids it read, so a test sees the snapshot reach the page. */
function poolListApp(): DashboardApp & { reads: number } {
  return {
    reads: 0,
    async read(hub) {
      this.reads++;
      return { pools: hub.pools().map((p) => p.id) };
    },
    async html(snapshot) {
      return `<!doctype html><p>${JSON.stringify(snapshot ?? null)}</p>`;
    },
  };
}

async function readApp(http: HttpHandle): Promise<{ mimeType: string; text: string; _meta?: object }> {
  const client = newClient({ era: 'modern' });
  await client.connect(httpTransport(http.url));
  try {
    return (await client.readResource({ uri: DASHBOARD_APP_URI })).contents[0] as {
      mimeType: string;
      text: string;
      _meta?: object;
    };
  } finally {
    await client.close();
  }
}

describe('the dashboard as an MCP App attached to pool_status', () => {
  let hub: Hub;
  let http: HttpHandle;
  const app = poolListApp();
  beforeAll(async () => {
    hub = await fixtureHub(memoryStore());
    http = await serveHttp({ hub, dashboardApp: app });
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

      it('lists the ui:// resource and reads it as the page the app renders from a fresh snapshot', async () => {
        const client = newClient({ era });
        await client.connect(httpTransport(http.url));
        const { resources } = await client.listResources();
        expect(resources.find((r) => r.uri === DASHBOARD_APP_URI)).toMatchObject({
          uri: DASHBOARD_APP_URI,
          mimeType: RESOURCE_MIME_TYPE,
          name: 'dashboard',
        });
        const readsBefore = app.reads;
        const content = (await client.readResource({ uri: DASHBOARD_APP_URI })).contents[0] as {
          mimeType: string;
          text: string;
          _meta?: Record<string, unknown>;
        };
        expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
        expect(content._meta).toMatchObject({ ui: { prefersBorder: true } });
        expect(content.text).toBe('<!doctype html><p>{"pools":["trial","credits"]}</p>');
        expect(app.reads).toBe(readsBefore + 1);
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

describe('the dashboard app when it cannot read the ledger, or is not given', () => {
  it('serves the page without a snapshot and logs why, when reading fails', async () => {
    const warnings: string[] = [];
    const hub = await fixtureHub(memoryStore(), { ...silentLogger, warn: (message) => void warnings.push(message) });
    const failing: DashboardApp = {
      read: async () => {
        throw new Error('the ledger is locked');
      },
      html: async (snapshot) => `<!doctype html><p>${snapshot === undefined ? 'empty' : 'filled'}</p>`,
    };
    const http = await serveHttp({ hub, dashboardApp: failing });
    try {
      expect((await readApp(http)).text).toBe('<!doctype html><p>empty</p>');
      expect(warnings).toEqual(['dashboard app: reading the ledger failed: the ledger is locked']);
    } finally {
      await http.close();
      await hub.close();
    }
  });

  it('offers no ui:// resource and no link from pool_status without an app', async () => {
    const hub = await fixtureHub(memoryStore());
    const http = await serveHttp({ hub });
    const client = newClient({ era: 'modern' });
    try {
      await client.connect(httpTransport(http.url));
      const { tools } = await client.listTools();
      expect(tools.find((t) => t.name === 'pool_status')!._meta?.ui).toBeUndefined();
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri).filter((uri) => uri.startsWith('ui://'))).toEqual([]);
    } finally {
      await client.close();
      await http.close();
      await hub.close();
    }
  });
});
