import * as path from 'node:path';

/**
 * How the user starts this CLI again from their shell, for lines that print a command to run next.
 * In a checkout the sources run under the workspace's `drawdown` script (a bare `drawdown` is not on
 * PATH there); under npx it is `npx drawdown`; an installed package puts `drawdown` on PATH.
 */
export function cliInvocation(env: NodeJS.ProcessEnv, script: string | undefined = process.argv[1]): string {
  const fromSources = script?.split(path.sep).join('/').endsWith('packages/cli/src/bin.ts') === true;
  if (fromSources) return 'npx -y pnpm@10 drawdown';
  if (env.npm_command === 'exec') return 'npx drawdown';
  return 'drawdown';
}

/**
 * A command to copy and paste, kept within `width` columns: on one line when it fits, else split
 * before its last arguments with the shell's line continuation (a path cannot be wrapped).
 */
export function shellCommandLines(words: string[], width: number, indent = '  '): string[] {
  const oneLine = `${indent}${words.join(' ')}`;
  if ([...oneLine].length <= width) return [oneLine];
  const lines: string[] = [];
  let current = indent;
  for (const word of words) {
    const next = current.trim() === '' ? `${current}${word}` : `${current} ${word}`;
    if (current.trim() !== '' && [...next].length + 2 > width) {
      lines.push(`${current} \\`);
      current = `${indent}  ${word}`;
    } else current = next;
  }
  lines.push(current);
  return lines;
}
