/**
 * Splits a byte stream into newline-delimited JSON messages for reading only: the bytes themselves
 * are forwarded untouched elsewhere. A line that is not JSON is handed to `onInvalid` and skipped.
 */
export function jsonLineReader(
  onMessage: (message: unknown) => void,
  onInvalid?: (line: string) => void,
): { push(chunk: Buffer): void; end(): void } {
  let pending: Buffer[] = [];
  const take = (bytes: Buffer): void => {
    const text = bytes.toString('utf8').trim();
    if (text === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      onInvalid?.(text);
      return;
    }
    onMessage(message);
  };
  return {
    push(chunk) {
      let start = 0;
      let newline = chunk.indexOf(0x0a);
      while (newline !== -1) {
        const piece = chunk.subarray(start, newline);
        take(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece);
        pending = [];
        start = newline + 1;
        newline = chunk.indexOf(0x0a, start);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    },
    end() {
      if (pending.length > 0) take(Buffer.concat(pending));
      pending = [];
    },
  };
}
