import { existsSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * The local services some tests need, found once: PostgreSQL and Chromium. Where a service is
 * missing, its tests are skipped with a message saying how to enable them — unless CI asked for it
 * (`DRAWDOWN_REQUIRE_POSTGRES`, `DRAWDOWN_REQUIRE_BROWSER`), where a missing service fails the run
 * instead of passing it silently.
 */

const required = (name: string): boolean => (process.env[name] ?? '') !== '';

/** The test PostgreSQL server: `DRAWDOWN_TEST_POSTGRES_URL`, default the local trust-auth server. */
export const postgresUrl = process.env.DRAWDOWN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The URL with any password masked, for messages. */
export const postgresShown = postgresUrl.replace(/:[^:@/]*@/, ':***@');

const listening = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Whether PostgreSQL listens; throws when CI requires it and it does not. */
export async function postgresAvailable(what: string): Promise<boolean> {
  const up = await listening(postgresUrl);
  if (!up && required('DRAWDOWN_REQUIRE_POSTGRES')) {
    throw new Error(
      `DRAWDOWN_REQUIRE_POSTGRES is set but PostgreSQL at ${postgresShown} is unreachable; start it (see .ci/run) or unset DRAWDOWN_REQUIRE_POSTGRES.`,
    );
  }
  if (!up) {
    process.stderr.write(
      `\n${what} skipped: start PostgreSQL on 127.0.0.1:5432 or set DRAWDOWN_TEST_POSTGRES_URL (CI sets DRAWDOWN_REQUIRE_POSTGRES=1 and fails instead)\n\n`,
    );
  }
  return up;
}

/** Debian's Chromium, or the one `DRAWDOWN_CHROMIUM` names. */
export const chromiumPath = process.env.DRAWDOWN_CHROMIUM ?? '/usr/bin/chromium';

/** The flags Chromium needs on a closed, headless machine (no background traffic to refuse). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether Chromium is installed; throws when CI requires it and it is not. */
export function chromiumAvailable(what: string): boolean {
  const present = existsSync(chromiumPath);
  if (!present && required('DRAWDOWN_REQUIRE_BROWSER')) {
    throw new Error(
      `DRAWDOWN_REQUIRE_BROWSER is set but there is no Chromium at ${chromiumPath}; install it (apt-get install chromium) or point DRAWDOWN_CHROMIUM at one.`,
    );
  }
  if (!present) {
    process.stderr.write(
      `\n${what} skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set DRAWDOWN_CHROMIUM; DRAWDOWN_REQUIRE_BROWSER=1 makes this a failure)\n\n`,
    );
  }
  return present;
}
