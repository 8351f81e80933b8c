/**
 * Resolves when the process is asked to stop (Ctrl-C, SIGTERM) or, given `input`, when that stream
 * ends: a server started by an MCP client over stdio stops when the client hangs up.
 */
export function untilStopped(input?: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      input?.off('end', done).off('close', done);
      process.off('SIGINT', done).off('SIGTERM', done);
      resolve();
    };
    input?.once('end', done).once('close', done);
    process.once('SIGINT', done).once('SIGTERM', done);
  });
}
