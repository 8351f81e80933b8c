import { spawn } from 'node:child_process';

/**
 * Opens `url` in the user's browser with the platform's opener. Best effort: the URL is also
 * printed, so a failure (no display, no opener) only means the user copies it by hand.
 */
export function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Printing the URL is the fallback.
  }
}
