export { runCli, createProgram } from './program.js';
export type { CliContext } from './context.js';
export { CliErrorCodes, cliError, describeFailure, type CliErrorData } from './cli-error.js';
export { renderTable, formatCount, type Column } from './render/table.js';
export { processTerminal, paint, type Terminal } from './render/terminal.js';
