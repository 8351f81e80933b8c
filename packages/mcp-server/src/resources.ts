import { isDrawdownError, type Hub } from '@drawdown/core';
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  type McpServer,
  type ReadResourceResult,
} from '@modelcontextprotocol/server';
import { readPools, type Scrub } from './read-model.js';
import { POOL_URI_TEMPLATE, POOLS_URI, poolUri } from './uris.js';

const MIME = 'application/json';

function json(uri: URL, value: unknown, scrub: Scrub): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: MIME, text: scrub(JSON.stringify(value, null, 2)) }] };
}

/** `drawdown://pools` and `drawdown://pools/{id}`: the same JSON as `pool_status`, readable and subscribable. */
export function registerPoolResources(server: McpServer, hub: Hub, scrub: Scrub): void {
  server.registerResource(
    'pools',
    POOLS_URI,
    {
      title: 'All pools',
      description:
        'Every pool that can pay for Claude requests: state, money left or share used, caps, holds, resets, auto-reload and route position. Updates whenever the ledger changes.',
      mimeType: MIME,
    },
    async (uri) => json(uri, await readPools(hub), scrub),
  );
  server.registerResource(
    'pool',
    new ResourceTemplate(POOL_URI_TEMPLATE, {
      list: async () => ({
        resources: hub.pools().map((pool) => ({
          uri: poolUri(pool.id),
          name: pool.id,
          title: `Pool ${pool.id} (${pool.kind})`,
          mimeType: MIME,
        })),
      }),
      complete: {
        id: (value) =>
          hub
            .pools()
            .map((p) => p.id)
            .filter((id) => id.startsWith(value)),
      },
    }),
    {
      title: 'One pool',
      description: 'One pool by id, as in pool_status. Updates whenever its part of the ledger changes.',
      mimeType: MIME,
    },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.id));
      try {
        const { pools } = await readPools(hub, id);
        return json(uri, pools[0], scrub);
      } catch (error) {
        // An unknown id is a missing resource (not a server fault): say which pools exist. The
        // transport wrapper sends -32002 on 2025 connections; the SDK sends -32602 on 2026 ones.
        if (isDrawdownError(error))
          throw new ProtocolError(ProtocolErrorCode.ResourceNotFound, scrub(error.message), { uri: uri.href });
        throw error;
      }
    },
  );
}

/** Whether a URI names one of this server's pool resources (for legacy `resources/subscribe`). */
export function isPoolResource(hub: Hub, uri: string): boolean {
  return uri === POOLS_URI || hub.pools().some((p) => poolUri(p.id) === uri);
}
