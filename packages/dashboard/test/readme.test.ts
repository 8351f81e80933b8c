import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

describe('the README', () => {
  it('runs its Try it example as copied and prints the balance the page shows', async () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const block = /## Try it\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'a ```ts block under "## Try it"').toBeDefined();
    // Inside the package, so its imports resolve the way they do for a user who installed it.
    const file = join(packageDir, `readme-example-${process.pid}.mts`);
    writeFileSync(file, block!);
    try {
      const { stdout } = await run(process.execPath, ['--conditions=drawdown-source', '--import', 'tsx', file], {
        cwd: packageDir,
        timeout: 60_000,
      });
      expect(stdout).toMatch(/^open http:\/\/127\.0\.0\.1:\d+\/\n9\.4\n$/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
