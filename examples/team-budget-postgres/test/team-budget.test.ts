import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { postgresAvailable } from '../../../test-support/services.js';

const reachable = await postgresAvailable('the team-budget example');

describe.skipIf(!reachable)('two processes sharing one credits pool through PostgreSQL', () => {
  it('admits exactly what the wallet holds, and both processes receive the other one’s changes and the top-up', async () => {
    const { lines, balance } = await main();
    const of = (member: string, event: string) => lines.filter((l) => l.member === member && l.event === event);
    // $10 then a $5 top-up: fifteen $1.00 requests between them, never one more.
    const admitted = lines.filter((l) => l.event === 'done').reduce((sum, l) => sum + Number(l.admitted), 0);
    expect(admitted).toBe(15);
    expect(lines.filter((l) => l.event === 'request.settled')).toHaveLength(15);
    expect(balance).toBe(0);
    for (const member of ['alice', 'bob']) {
      // Each saw the other's spending arrive from PostgreSQL...
      expect(of(member, 'ledger.changed').length).toBeGreaterThan(0);
      // ...and learned of the top-up made by a third process.
      expect(of(member, 'pool.reset')).toHaveLength(1);
      expect(of(member, 'done')).toHaveLength(1);
    }
    // Each crossing is announced once across both processes: low and empty, before and after the top-up.
    expect(lines.filter((l) => l.event === 'pool.exhausted')).toHaveLength(2);
    expect(lines.filter((l) => l.event === 'pool.low')).toHaveLength(2);
  });
});
