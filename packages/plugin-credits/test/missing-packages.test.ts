import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./fixtures/missing-packages-worker.ts', import.meta.url));
const HIDE = fileURLToPath(new URL('./fixtures/hide-packages.mjs', import.meta.url));

// stripe and nodemailer are optional peer dependencies. A real Node process with both made
// unresolvable shows what a user who configured the feature without installing them sees.
describe('optional packages that are not installed', () => {
  it('stripeProvider and emailNotifier name the package to install, on one line', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=drawdown-source', '--import', 'tsx', '--import', HIDE, WORKER],
      {
        env: { ...process.env, DRAWDOWN_HIDE_PACKAGES: 'stripe,nodemailer' },
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      stripe: { code: string; message: string };
      email: { errors: string[]; warnings: string[] };
    };
    expect(report.stripe).toEqual({
      code: 'DRAWDOWN_MISSING_PACKAGE',
      message:
        'stripeProvider() needs the "stripe" package, which is not installed. Install it next to drawdown: npm install stripe@^23.1.0',
    });
    expect(report.email.errors).toEqual([
      'emailNotifier("email") needs the "nodemailer" package, which is not installed. Install it next to drawdown: npm install nodemailer@^8.0.0',
    ]);
    expect(report.email.warnings).toEqual([]);
  });

  it('the same worker charges and mails normally when nothing is hidden', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=drawdown-source', '--import', 'tsx', '--import', HIDE, WORKER],
      {
        env: { ...process.env, DRAWDOWN_HIDE_PACKAGES: '' },
      },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      stripe: unknown;
      email: { errors: string[]; warnings: string[] };
    };
    // With the packages present the failures are the ordinary ones: no Stripe API, no SMTP server.
    expect(report.stripe).toMatchObject({ code: 'DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN' });
    expect(report.email.errors).toEqual([]);
    expect(report.email.warnings.length).toBeGreaterThan(0);
    expect(report.email.warnings[0]).toContain('could not send');
  });
});
