import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('the desktop agent example', () => {
  it('runs the trial on a key minted by the app server, personal mode and opted-in credits in order, with a reload at the end', async () => {
    const log = await main();
    const at = (line: string | RegExp) => log.findIndex((l) => (typeof line === 'string' ? l === line : line.test(l)));
    // The app's server mints one drawdown key per install (asked twice, one key); the app holds no Anthropic key.
    expect(log[0]).toBe('app server minted the trial key for install mac-7f3a: ddk_… (a drawdown key)');
    expect(log[1]).toBe('asked again, the app server answers the same key: one trial per install');
    expect(log).toContain("the API saw the trial's requests with: server (the server's key, added by its gateway)");
    expect(log).toContain('app server: install mac-7f3a spent $10 of its $10 trial');
    // The $10 trial pays for four $2.50 answers, announcing each threshold.
    expect(log.filter((l) => l.startsWith('trial answered'))).toHaveLength(4);
    expect(at('budget.crossed: 50% of the $10.00 trial used')).toBeGreaterThan(-1);
    expect(at('pool.exhausted trial: trial of $10.00 used')).toBeGreaterThan(at('trial answered "answer 3"'));
    // Then the user's own agent runs, with neither the bundled key nor the user's key in its environment.
    const children = log.filter((l) => l.startsWith('child agent environment carries'));
    expect(children).toEqual([
      'child agent environment carries: no key or token',
      'child agent environment carries: no key or token',
    ]);
    expect(at(/^pool\.exhausted plan: plan limit reached; resets at /)).toBeGreaterThan(
      at('pool.exhausted trial: trial of $10.00 used'),
    );
    // Then credits, because the user opted in; the balance falls under $5 and a $20 reload succeeds.
    expect(log.filter((l) => l.startsWith('credits answered'))).toHaveLength(2);
    expect(at('credits.reloaded: credits: reloaded $20.00; balance now $23.00')).toBeGreaterThan(
      at('credits answered "answer 6"') - 1,
    );
    expect(log).toContain('trial: trial of $10.00 used (spent $10.00)');
    expect(log).toContain(
      'credits: $23.00 of credits available; $5.00 of the $2,000.00 daily redemption ceiling used (spent $5.00)',
    );
  });
});
