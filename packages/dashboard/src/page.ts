import { loadAppBridge, loadAssets } from './assets.js';
import type { DashboardSnapshot } from './snapshot.js';

/** Inline text inside a `<script>` or `<style>`: nothing in it may close the element. */
const inline = (text: string): string => text.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const json = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');
const attr = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function body(mode: 'web' | 'app', base: string, snapshot: DashboardSnapshot | undefined): string {
  return `<body data-mode="${mode}" data-base="${attr(base)}">
<a class="skip" href="#pools">Skip to pools</a>
<header class="top">
  <h1>drawdown</h1>
  <p class="meta"><span id="clock">loading…</span> <span id="live" class="live" role="status" aria-live="polite"></span></p>
</header>
<main>
  <p id="mode-note" class="block note" hidden>No drawdown configuration yet: this is what Claude Code spent on this machine, observed from its own logs at API prices. Nothing here is enforced. <code>drawdown config init --global</code> adds pools, budgets and routing.</p>
  <section aria-labelledby="pools-h" class="block" id="pools-block">
    <h2 id="pools-h">Pools</h2>
    <div id="pools" class="pools" aria-live="polite" aria-relevant="additions text"></div>
  </section>
  <section aria-labelledby="route-h" class="block" id="route-block">
    <h2 id="route-h">Route</h2>
    <p id="route-next" class="next"></p>
    <ol id="route" class="route"></ol>
    <p id="route-after" class="muted"></p>
  </section>
  <section aria-labelledby="spend-h" class="block">
    <h2 id="spend-h">Spend</h2>
    <fieldset class="toggle" id="split">
      <legend>Split by</legend>
      <label><input type="radio" name="split" value="byModel" checked> model</label>
      <label><input type="radio" name="split" value="byRoute"> route</label>
    </fieldset>
    <div id="chart" class="chart" role="img" aria-labelledby="spend-h spend-total"></div>
    <p id="spend-total" class="muted"></p>
    <p id="spend-forecast" class="forecast-note" hidden></p>
  </section>
  <section aria-labelledby="reconcile-h" class="block" id="reconcile-block" hidden>
    <h2 id="reconcile-h">Ledger vs Anthropic <small class="muted">usage report, last 24 h</small></h2>
    <p id="reconcile-summary"></p>
    <ul id="reconcile" class="reconcile"></ul>
  </section>
  <section aria-labelledby="observed-h" class="block" id="observed-block" hidden>
    <h2 id="observed-h">Claude Code on this machine <small class="muted">observed, not enforced</small></h2>
    <dl id="observed" class="facts"></dl>
  </section>
  <section aria-labelledby="recent-h" class="block" id="recent-block">
    <h2 id="recent-h">Recent requests</h2>
    <div class="scroll" tabindex="0" role="region" aria-labelledby="recent-h">
      <table id="recent"><thead><tr><th scope="col" class="col-time">time</th><th scope="col" class="col-route">route</th><th scope="col" class="col-pool">pool</th><th scope="col" class="col-model">model</th><th scope="col" class="num col-tokens">tokens in/out</th><th scope="col" class="num col-cost">cost</th></tr></thead><tbody></tbody></table>
    </div>
  </section>
  <section aria-labelledby="alerts-h" class="block" id="alerts-block">
    <h2 id="alerts-h">Alerts</h2>
    <ul id="alerts" class="alerts" aria-live="polite"></ul>
  </section>
</main>
<dialog id="write-dialog" aria-labelledby="write-title">
  <form method="dialog" id="write-form">
    <h2 id="write-title"></h2>
    <div id="write-fields"></div>
    <p id="write-question" class="question" role="alert"></p>
    <p id="write-result" role="status"></p>
    <div class="actions"><button type="submit" id="write-ok" value="ok">Continue</button> <button type="button" id="write-cancel">Cancel</button></div>
  </form>
</dialog>
<script type="application/json" id="initial">${snapshot ? json(snapshot) : 'null'}</script>`;
}

const HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>drawdown — where the money stands</title>`;

/** The browser page: assets load from `base` (`/assets/…`), data from `base/api/…`. */
export function dashboardPage(options: { base: string; snapshot?: DashboardSnapshot }): string {
  const base = options.base.replace(/\/$/, '');
  return `${HEAD}
<link rel="stylesheet" href="${attr(base)}/assets/uPlot.min.css">
<link rel="stylesheet" href="${attr(base)}/assets/dashboard.css">
<script src="${attr(base)}/assets/uPlot.iife.min.js" defer></script>
<script src="${attr(base)}/assets/dashboard.js" defer></script>
</head>
${body('web', base, options.snapshot)}
</body>
</html>
`;
}

/**
 * The same page as one self-contained document for an MCP App: the host renders it in a sandboxed
 * iframe without network access, so scripts and styles are inlined, and the page refreshes through
 * the App bridge (`pool_status`, `which_pool`) instead of `/api`.
 */
export async function dashboardAppHtml(options: { snapshot?: DashboardSnapshot } = {}): Promise<string> {
  const [assets, bridge] = await Promise.all([loadAssets(), loadAppBridge()]);
  return `${HEAD}
<style>${inline(assets.uplotCss)}</style>
<style>${inline(assets.dashboardCss)}</style>
</head>
${body('app', '', options.snapshot)}
<script>${inline(bridge)}</script>
<script>${inline(assets.uplotJs)}</script>
<script>${inline(assets.dashboardJs)}</script>
</body>
</html>
`;
}
