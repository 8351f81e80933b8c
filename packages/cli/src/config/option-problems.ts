import { ErrorCodes, type DrawdownError, type OptionProblem } from '@drawdown/core';
import type { ConfigProblem } from './types.js';

const at = (prefix: string, field: string): string => (prefix === '' ? field : `${prefix}.${field}`);

/**
 * A library checker's problems as the configuration's, each at its path under `prefix`
 * (`pools.trial` + `amount`): the problem as the message, the checker's fix as the hint.
 */
export function configProblems(prefix: string, problems: readonly OptionProblem[]): ConfigProblem[] {
  return problems.map((p) => ({ path: at(prefix, p.field), message: p.problem, hint: p.fix }));
}

/**
 * A factory's refusal as a problem under `prefix`: an INVALID_OPTION error carries the problem and
 * fix of the checker that found it, so it reads exactly as `configProblems` would give it; any
 * other error keeps its message.
 */
export function problemFromError(prefix: string, error: DrawdownError): ConfigProblem {
  const { field, problem, fix } = error.data as { field?: unknown; problem?: unknown; fix?: unknown };
  const path = typeof field === 'string' && field !== '' ? at(prefix, field) : prefix;
  if (error.code === ErrorCodes.INVALID_OPTION && typeof problem === 'string' && typeof fix === 'string')
    return { path, message: problem, hint: fix };
  return { path, message: error.message };
}

/** A problem and its fix as one sentence, the way `config check` and a refused command word it. */
export function problemText(problem: ConfigProblem): string {
  return problem.hint === undefined
    ? problem.message
    : `${problem.message.replace(/([^.])$/, '$1.')} Fix: ${problem.hint}`;
}
