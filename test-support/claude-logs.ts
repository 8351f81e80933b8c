import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SESSIONS = fileURLToPath(new URL('../packages/core/test/fixtures/claude-code-logs/sessions/', import.meta.url));

/**
 * A Claude Code directory (what `CLAUDE_CONFIG_DIR` or `~/.claude` holds) with the real recorded
 * session logs (core's fixtures) in `projects/`, moved in time so that the newest line is an hour
 * old: the spend lands in today's views whenever a test runs. Pass `dir` to fill a given directory.
 */
export function recentClaudeLogs(dir = mkdtempSync(join(tmpdir(), 'drawdown-claude-'))): string {
  const project = join(dir, 'projects', '-work');
  mkdirSync(project, { recursive: true });
  const files = readdirSync(SESSIONS).map((name) => ({ name, text: readFileSync(join(SESSIONS, name), 'utf8') }));
  const stamp = /"timestamp":"([^"]+)"/g;
  const newest = Math.max(...files.flatMap((f) => [...f.text.matchAll(stamp)].map((m) => Date.parse(m[1]!))));
  const shift = Date.now() - 3_600_000 - newest;
  for (const { name, text } of files)
    writeFileSync(
      join(project, name),
      text.replace(stamp, (_, at: string) => `"timestamp":"${new Date(Date.parse(at) + shift).toISOString()}"`),
    );
  return dir;
}
