import type { Terminal } from './render/terminal.js';

/** What every command receives: where to write and the environment it runs in. */
export interface CliContext {
  term: Terminal;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Set by a command whose result is a failure it already printed (a failed check, a child's exit code). */
  exitCode?: number;
}
