import { readdirSync, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

/** Where Claude Code keeps its data: `CLAUDE_CONFIG_DIR` (comma-separated for several), else both default places. */
export function claudeConfigDirs(env: NodeJS.ProcessEnv): string[] {
  const explicit = env.CLAUDE_CONFIG_DIR?.split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  if (explicit && explicit.length > 0) return [...new Set(explicit.map((d) => path.resolve(d)))];
  const home = env.HOME || env.USERPROFILE || homedir();
  return [path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'claude'), path.join(home, '.claude')];
}

/** `.jsonl` files under `dir`, walked by hand: `readdir`'s own recursive mode stats every entry and is far slower. */
function walk(dir: string, into: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, into);
    else if (entry.isFile() && entry.name.endsWith('.jsonl')) into.push(full);
  }
}

/** Every session log (`projects/**\/*.jsonl`) under the given Claude Code directories, sorted. */
export function sessionLogFiles(dirs: readonly string[]): string[] {
  const found: string[] = [];
  for (const dir of dirs) walk(path.join(dir, 'projects'), found);
  return [...new Set(found)].sort();
}

/**
 * Where the reader keeps what it already read (offsets and per-response figures), so a repeated
 * read only looks at what is new: the user's cache directory, which may be deleted at any time.
 * Linux and other Unix: `$XDG_CACHE_HOME/drawdown` (default `~/.cache`); macOS:
 * `~/Library/Caches/drawdown`; Windows: `%LOCALAPPDATA%\drawdown\cache`.
 */
export function defaultCacheFile(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  let dir: string;
  if (platform === 'win32')
    dir = path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'drawdown', 'cache');
  else if (platform === 'darwin') dir = path.join(home, 'Library', 'Caches', 'drawdown');
  else dir = path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'drawdown');
  return path.join(dir, 'claude-code-logs.json');
}
