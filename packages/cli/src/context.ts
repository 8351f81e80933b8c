import type { Terminal } from './render/terminal.js';

/** What every command receives: where to write and the environment it runs in. */
export interface CliContext {
  term: Terminal;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where answers to questions are read from (the init wizard, confirmations); default stdin. */
  input?: NodeJS.ReadableStream;
  /**
   * The command was asked for `--json`: errors are printed as one JSON object `{ code, message, hint }`
   * on stderr instead of the `drawdown: …` and `hint: …` lines (stdout keeps only results).
   */
  json?: boolean;
  /** Set by a command whose result is a failure it already printed (a failed check, a child's exit code). */
  exitCode?: number;
}
