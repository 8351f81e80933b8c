import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** Files the page loads, read once from this package and from node_modules (no CDN: works offline). */
export interface PageAssets {
  uplotJs: string;
  uplotCss: string;
  dashboardJs: string;
  dashboardCss: string;
}

const require = createRequire(import.meta.url);
// `assets/` sits next to `src/` and `dist/`, so the same relative URL works from either.
const own = (name: string): URL => new URL(`../assets/${name}`, import.meta.url);

let cached: Promise<PageAssets> | undefined;

export function loadAssets(): Promise<PageAssets> {
  cached ??= (async () => {
    const [uplotJs, uplotCss, dashboardJs, dashboardCss] = await Promise.all([
      readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      readFile(own('dashboard.js'), 'utf8'),
      readFile(own('dashboard.css'), 'utf8'),
    ]);
    return { uplotJs, uplotCss, dashboardJs, dashboardCss };
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}

let appBridge: Promise<string> | undefined;

/**
 * The ext-apps `App` class as a classic script that sets `globalThis.McpApps`. The package ships
 * one self-contained ES module (`app-with-deps`); its closing `export { … }` is the only module
 * syntax in it, so rewriting that statement lets the bundle be inlined into the app's HTML.
 */
export function loadAppBridge(): Promise<string> {
  appBridge ??= (async () => {
    const file = require.resolve('@modelcontextprotocol/ext-apps/app-with-deps');
    const source = await readFile(file, 'utf8');
    const match = /export\s*\{([^}]*)\};?\s*$/.exec(source);
    if (!match) throw new Error(`${file}: no closing export statement to rewrite; the ext-apps bundle changed shape`);
    const names = match[1]!.split(',').map((part) => part.trim().split(/\s+as\s+/));
    const app = names.find((pair) => (pair[1] ?? pair[0]) === 'App');
    if (!app) throw new Error(`${file}: the bundle exports no App class`);
    return `${source.slice(0, match.index)};globalThis.McpApps={App:${app[0]}};`;
  })();
  appBridge.catch(() => (appBridge = undefined));
  return appBridge;
}
