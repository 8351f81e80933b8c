import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { codeBlocks } from '../../../test-support/readme-blocks.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

it("runs the README's Claude Code log example as copied, on the recorded logs", async () => {
  const block = codeBlocks(join(packageDir, 'README.md')).find((b) => b.heading.startsWith("Claude Code's own spend"));
  expect(block?.lang).toBe('ts');
  const claude = mkdtempSync(join(tmpdir(), 'drawdown-readme-claude-'));
  cpSync(join(packageDir, 'test/fixtures/claude-code-logs/sessions'), join(claude, 'projects', '-work'), {
    recursive: true,
  });
  // Inside the package, so its imports resolve the way they do for a user who installed it.
  const file = join(packageDir, `readme-claude-logs-${process.pid}.mts`);
  writeFileSync(file, block!.code);
  try {
    const { stdout } = await run(process.execPath, ['--conditions=drawdown-source', '--import', 'tsx', file], {
      cwd: packageDir,
      env: { ...process.env, CLAUDE_CONFIG_DIR: claude, XDG_CACHE_HOME: join(claude, 'cache') },
      timeout: 120_000,
    });
    // Five responses, $0.128647 in nanodollars, nothing skipped, $0.008 at [U] prices.
    expect(stdout).toBe('5 128647000 { garbage: 0, truncated: 0, absurd: 0, malformed: 0 } 8000000\n');
  } finally {
    rmSync(file, { force: true });
    rmSync(claude, { recursive: true, force: true });
  }
});
