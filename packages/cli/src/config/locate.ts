import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

export const CONFIG_FILE_NAMES = ['drawdown.config.ts', 'drawdown.config.mts', 'drawdown.config.json'] as const;

/** The user's configuration directory for drawdown, following each platform's convention. */
export function userConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  // The HOME of `env` first: an embedder running the CLI with its own environment means that one.
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'drawdown');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'drawdown');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'drawdown');
}

export interface LocateResult {
  /** The file found, if any. */
  file?: string;
  /** Every place looked, in order, for the "not found" message. */
  searched: string[];
}

/**
 * Finds the configuration: an explicit path (flag or DRAWDOWN_CONFIG) wins; otherwise the nearest
 * `drawdown.config.{ts,mts,json}` from the working directory up to the file system root, then the
 * user's configuration directory.
 */
export function locateConfig(options: { explicit?: string; cwd: string; env: NodeJS.ProcessEnv }): LocateResult {
  const explicit = options.explicit ?? (options.env.DRAWDOWN_CONFIG || undefined);
  if (explicit !== undefined) {
    const file = path.resolve(options.cwd, explicit);
    return { file, searched: [file] };
  }
  const searched: string[] = [];
  const dirs: string[] = [];
  for (let dir = path.resolve(options.cwd); ; dir = path.dirname(dir)) {
    dirs.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  dirs.push(userConfigDir(options.env));
  for (const dir of dirs) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = path.join(dir, name);
      searched.push(file);
      if (existsSync(file)) return { file, searched };
    }
  }
  return { searched };
}
