import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('ACP desktop agent example', () => {
  it('restarts the real ACP agent under the next entry when the trial runs out, resumes the session, and charges each pool exactly', async () => {
    const log = await main();
    const at = (line: string) => log.findIndex((l) => l.startsWith(line));
    expect(log.slice(0, 3)).toEqual([
      'agent started under "trial"',
      '"plan the settings page" → end_turn, paid by trial',
      '"write the form" → end_turn, paid by trial',
    ]);
    // The third prompt crossed the $1.00 cap; the fourth finds the route on "personal", and the app restarts before sending it.
    expect(at('"add validation" → end_turn, paid by trial')).toBeGreaterThan(0);
    expect(at('route.switched trial → personal')).toBeGreaterThan(at('"add validation"'));
    expect(at('restarting the agent under "personal"')).toBeGreaterThan(at('route.switched'));
    expect(log.find((l) => l.startsWith('session ') && l.endsWith('resumed under "personal"'))).toBeDefined();
    expect(log).toContain('"write the tests" → end_turn, paid by personal');
    expect(log).toContain('"fix the failing test" → end_turn, paid by personal');
    // The trial key paid 3 turns at $0.48 (Opus 5.5), the user's sign-in the rest; nothing was charged twice.
    expect(log).toContain('trial: spent $1.44');
    const plan = log.find((l) => l.startsWith('plan: spent $'))!;
    const served = log.find((l) => l.startsWith('server answered 5 turns'))!;
    expect(served).toMatch(
      /^server answered 5 turns \(bundled\/[^,]+, bundled\/[^,]+, bundled\/[^,]+, signIn\/[^,]+, signIn\/[^)]+\) worth \$/,
    );
    const dollars = (line: string) => Number(/\$([\d.]+)$/.exec(line)![1]);
    expect(dollars(served)).toBeCloseTo(1.44 + dollars(plan), 9);
  });
});
