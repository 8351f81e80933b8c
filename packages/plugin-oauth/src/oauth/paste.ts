import { createInterface } from 'node:readline';
import { DrawdownError } from '@drawdown/core';
import { OAuthErrorCodes } from '../errors.js';

/**
 * Reads what the user pasted after signing in on another device: the whole redirect URL from the
 * browser's address bar, its query string, or `code#state`. A bare code without its state is
 * refused — without the state, a forged code could not be told apart.
 */
export function parsePastedRedirect(pasted: string, issuer: string): URLSearchParams {
  const text = pasted.trim();
  let params: URLSearchParams | undefined;
  if (/^https?:\/\//i.test(text)) {
    try {
      params = new URL(text).searchParams;
    } catch {
      params = undefined;
    }
  } else if (text.includes('=')) {
    params = new URLSearchParams(text.replace(/^\?/, ''));
  } else {
    const [code, state, ...rest] = text.split('#');
    // A page that shows code#state comes from the one configured server, so its issuer is known.
    if (code && state && rest.length === 0) params = new URLSearchParams({ code, state, iss: issuer });
  }
  if (!params || (!params.has('code') && !params.has('error')) || (params.has('code') && !params.has('state'))) {
    throw new DrawdownError(
      OAuthErrorCodes.INVALID_PASTE,
      'what was pasted is not the redirect from this sign-in; paste the whole address the browser ended on (it contains code= and state=), or code#state',
      { data: {} },
    );
  }
  return params;
}

/** Asks on stderr and reads one line from stdin (stdout may carry a protocol). */
export async function readLineFromStdin(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  try {
    process.stderr.write(prompt);
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () =>
        reject(new DrawdownError(OAuthErrorCodes.INVALID_PASTE, 'nothing was pasted (input closed)', { data: {} })),
      );
    });
  } finally {
    rl.close();
  }
}
