/**
 * What a Node process loads: start it with `NODE_OPTIONS: LIST_MODULES` and, on exit, it prints
 * every module URL it loaded as one `loaded:[…]` line on stderr. Read it back with `loadedModules`.
 * This shows what starting a process costs (the CLI's commands, a store's worker processes).
 */
export const LIST_MODULES = `--import=data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('\\nloaded:' + JSON.stringify(loaded) + '\\n'));
`)}`;

/** The module URLs a process started with `LIST_MODULES` printed on its stderr; throws when it printed none. */
export function loadedModules(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith('loaded:'));
  if (line === undefined) throw new Error(`the process printed no list of loaded modules; its stderr:\n${stderr}`);
  return JSON.parse(line.slice('loaded:'.length)) as string[];
}
