import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'example-mcp-clients',
    include: ['test/**/*.test.ts'],
    // eventsource (under the MCP SDK client) publishes a `source` condition pointing at TypeScript.
    server: { deps: { inline: [/@modelcontextprotocol\/client/, 'eventsource', 'eventsource-parser'] } },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
