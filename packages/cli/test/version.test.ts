import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDrawdown } from './run-cli.js';

describe('drawdown --version', () => {
  it('prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    // A real version, not the placeholder of an unversioned package.
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(version).not.toBe('0.0.0');
    const result = await runDrawdown(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect((await runDrawdown(['-V'])).stdout).toBe(`${version}\n`);
  }, 150_000);
});
