import { expect, it } from 'vitest';

// The public surface, listed: a change to it shows up here and is made on purpose (vitest -u).
it('exports its curated public surface', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DashboardErrorCodes",
      "WRITE_TOOLS",
      "createAlertLog",
      "createDashboardHandler",
      "dashboardApp",
      "dashboardAppHtml",
      "dashboardPage",
      "dashboardRoutes",
      "dashboardWrites",
      "readDashboard",
      "startDashboard",
    ]
  `);
});
