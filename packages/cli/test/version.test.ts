import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDrawdown } from './run-cli.js';

describe('drawdown --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const result = await runDrawdown(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});
