import { expect, it } from 'vitest';

// The public surface, listed: a change to it shows up here and is made on purpose (vitest -u).
it('exports its curated public surface', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "defaultDatabasePath",
      "sqliteStore",
      "sqliteStoreOptionProblems",
    ]
  `);
});
