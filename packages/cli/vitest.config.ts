import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'cli',
    // One module graph per worker for all of this project's files: see the root vitest.config.ts.
    isolate: false,
    include: ['src/**/*.test.ts', 'test/*.test.ts'],
    // eventsource (under the MCP SDK client) also publishes a `source` condition pointing at
    // TypeScript; inlining lets vite compile it instead of handing Node a .ts file.
    server: { deps: { inline: [/@modelcontextprotocol\/client/, 'eventsource', 'eventsource-parser'] } },
    // Every test spawns the real CLI (node + tsx), which takes a while on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
