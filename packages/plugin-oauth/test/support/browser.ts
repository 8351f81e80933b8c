/**
 * The test's browser: follows redirects by hand with a cookie jar, the way a user's browser would
 * go from the authorization URL through the sign-in to the redirect URI.
 */
export interface BrowserVisit {
  /** The last URL reached (or the redirect target where `stopAt` matched). */
  url: URL;
  /** The final response, when the visit did not stop early. */
  response?: Response;
  body?: string;
}

export async function visit(start: string, stopAt?: (url: URL) => boolean): Promise<BrowserVisit> {
  const jar = new Map<string, string>();
  let current = new URL(start);
  for (let hop = 0; hop < 25; hop++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(current, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const set of response.headers.getSetCookie()) {
      const [pair = ''] = set.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=thu, 01 jan 1970/i.test(set)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      const next = new URL(location, current);
      if (stopAt?.(next)) return { url: next };
      current = next;
      continue;
    }
    return { url: current, response, body: await response.text() };
  }
  throw new Error(`too many redirects from ${start}`);
}
