import { expect, it } from 'vitest';
import { outputOf, spawnTs } from './support/spawn.js';

it('runs the README example: the plan refuses with its reset time, and credits pay after the opt-in', async () => {
  const result = await outputOf(spawnTs('../fixtures/readme-example.ts', []));
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^exhausted: plan limit reached; resets at .+ \(America\/Los_Angeles\)$/m);
  expect(result.stdout).toMatch(/^You've hit your session limit · resets /m);
  expect(result.stdout).toContain('refused: no route entry can pay for this request: personal: plan limit reached; resets at');
  expect(result.stdout).toContain('now paying: paid');
});
