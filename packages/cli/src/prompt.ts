import { createInterface } from 'node:readline/promises';
import type { CliContext } from './context.js';

/** Questions asked on stderr, answered one line each from the command's input. */
export interface Prompt {
  /** The next answer, trimmed; undefined once the input has ended (no more answers will come). */
  ask(question: string): Promise<string | undefined>;
  close(): void;
}

/**
 * Reads answers as a stream of lines, so answers typed (or pasted, or piped by a script) ahead
 * are kept for the next question. The same on a terminal and on a pipe: a script answers by
 * writing lines to stdin.
 */
export function createPrompt(ctx: CliContext): Prompt {
  const input = ctx.input ?? process.stdin;
  const rl = createInterface({
    input,
    // Echo what is typed only on a real terminal; a pipe's answers are not repeated.
    ...(input === process.stdin && process.stdin.isTTY === true && { output: process.stderr }),
  });
  const lines = rl[Symbol.asyncIterator]();
  let ended = false;
  return {
    async ask(question) {
      ctx.term.note(question);
      if (ended) return undefined;
      const next = await lines.next();
      if (next.done) {
        ended = true;
        return undefined;
      }
      return String(next.value).trim();
    },
    close: () => rl.close(),
  };
}
