/** Where drawdown writes diagnostics. The default writes to stderr: stdout may carry a protocol. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const levels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof levels)[number] | 'silent';

/** A logger that writes `drawdown <level>: message` lines to stderr at or above `level`. */
export function stderrLogger(
  level: LogLevel = (process.env.DRAWDOWN_LOG_LEVEL as LogLevel | undefined) ?? 'warn',
): Logger {
  const threshold = level === 'silent' ? levels.length : levels.indexOf(level);
  const write = (at: (typeof levels)[number]) => (message: string) => {
    if (levels.indexOf(at) >= threshold) process.stderr.write(`drawdown ${at}: ${message}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
