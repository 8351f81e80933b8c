import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the ledger lives when nothing else is configured: the user's data directory, so every
 * drawdown process of one user (an agent app, its MCP server, the CLI) finds the same file.
 * Linux and other Unix: `$XDG_DATA_HOME/drawdown/ledger.sqlite` (default `~/.local/share`);
 * macOS: `~/Library/Application Support/drawdown/ledger.sqlite`;
 * Windows: `%LOCALAPPDATA%\drawdown\ledger.sqlite`.
 */
export function defaultDatabasePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  let base: string;
  if (platform === 'win32') base = env.LOCALAPPDATA || join(home, 'AppData', 'Local');
  else if (platform === 'darwin') base = join(home, 'Library', 'Application Support');
  else base = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return join(base, 'drawdown', 'ledger.sqlite');
}
