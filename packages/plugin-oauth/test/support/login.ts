import type { OAuthClient } from '../../src/index.js';
import { visit, type BrowserVisit } from './browser.js';

/** Runs a loopback login while the test's browser walks through the sign-in. */
export async function loopbackLogin(
  client: OAuthClient,
): Promise<{ result: Awaited<ReturnType<OAuthClient['login']>>; page: BrowserVisit; authorizationUrl: URL }> {
  let browsing: Promise<BrowserVisit> | undefined;
  let authorizationUrl: URL | undefined;
  const result = await client.login({
    mode: 'loopback',
    onUrl(url) {
      authorizationUrl = new URL(url);
      browsing = visit(url);
    },
  });
  return { result, page: await browsing!, authorizationUrl: authorizationUrl! };
}
