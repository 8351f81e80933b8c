/** Where a command writes, and whether colour is allowed there. */
export interface Terminal {
  /** One line (or block) of the command's result on stdout. */
  out(text: string): void;
  /** Progress and diagnostics on stderr; stdout stays clean for pipes and `--json`. */
  note(text: string): void;
  /** True when stdout is a TTY and NO_COLOR is unset. */
  color: boolean;
  /** Columns available: every line the CLI prints for people fits in this many. */
  width: number;
}

export function processTerminal(env: NodeJS.ProcessEnv = process.env): Terminal {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: process.stdout.isTTY === true && !noColor,
    width: terminalWidth(env, process.stdout.columns),
  };
}

/**
 * Columns to fit: `COLUMNS` when set (what shells export, and what tests pin), else the TTY's width,
 * else 80 for pipes and files. Tables and charts wrap or shorten to stay within it.
 */
export function terminalWidth(env: NodeJS.ProcessEnv, ttyColumns: number | undefined): number {
  const fromEnv = Number(env.COLUMNS);
  // A pseudo-terminal without a size (script(1), some CI runners) reports 0 columns: unknown, so 80.
  const fromTty = ttyColumns !== undefined && ttyColumns > 0 ? ttyColumns : 80;
  const columns = Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : fromTty;
  return Math.max(40, Math.min(columns, 200));
}

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof codes;

/** Wraps text in an ANSI style when colour is on; plain text otherwise. */
export function paint(term: Pick<Terminal, 'color'>, style: Style, text: string): string {
  if (!term.color) return text;
  const [open, close] = codes[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** Display width of text, ignoring ANSI colour sequences. */
export function visibleLength(text: string): number {
  return [...stripAnsi(text)].length;
}

/** ANSI colour sequences: ESC, "[", parameters, "m" (built from the code so no control character sits in a literal). */
const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Text without its ANSI colour sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_SGR, '');
}
