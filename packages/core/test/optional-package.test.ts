import { describe, expect, it } from 'vitest';
import { DrawdownError, ErrorCodes } from '../src/index.js';
import { importOptional } from '../src/internal.js';

// A package name nobody publishes, so resolving it fails the way a missing optional peer does.
const ABSENT = 'drawdown-absent-optional-package-for-tests';

describe('importOptional', () => {
  it('returns the module when the package is installed', async () => {
    const mod = await importOptional('eventemitter3', '^5.0.1', 'the event bus', () => import('eventemitter3'));
    expect(typeof mod.EventEmitter).toBe('function');
  });

  it('names the package to install, on one line, when it is missing', async () => {
    const error = await importOptional(
      ABSENT,
      '^1.0.0',
      'stripeProvider()',
      () => import(/* @vite-ignore */ ABSENT),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrawdownError);
    const e = error as DrawdownError;
    expect(e.code).toBe(ErrorCodes.MISSING_PACKAGE);
    expect(e.message).toBe(
      `stripeProvider() needs the "${ABSENT}" package, which is not installed. Install it next to drawdown: npm install ${ABSENT}@^1.0.0`,
    );
    expect(e.message).not.toContain('\n');
    expect(e.data).toEqual({ package: ABSENT, range: '^1.0.0', feature: 'stripeProvider()' });
  });

  it('keeps the error of a package that is installed but fails while loading', async () => {
    const broken = new Error('boom while loading');
    await expect(importOptional('eventemitter3', '^5.0.1', 'x', () => Promise.reject(broken))).rejects.toBe(broken);
  });

  it("keeps the error when one of the package's own dependencies is missing", async () => {
    const inner = Object.assign(
      new Error(`Cannot find package 'qs' imported from /app/node_modules/stripe/esm/stripe.esm.node.js`),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    await expect(importOptional('stripe', '^23.1.0', 'stripeProvider()', () => Promise.reject(inner))).rejects.toBe(
      inner,
    );
  });
});
