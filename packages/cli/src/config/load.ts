import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { locateConfig } from './locate.js';
import type { ConfigProblem, DrawdownConfig } from './types.js';
import { validateConfig } from './validate.js';

export interface LoadedConfig {
  config: DrawdownConfig;
  /** The file it came from; undefined when none was found. */
  file?: string;
  /** Places searched when no file was found. */
  searched: string[];
  /** Environment variables that changed the file's settings, by name. */
  fromEnv: string[];
  problems: ConfigProblem[];
}

async function importTypeScript(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  const failed = (error: unknown, hint: string) =>
    cliError(
      CliErrorCodes.INVALID_CONFIG,
      `cannot load ${file}: ${(error as Error).message.split('\n')[0]}`,
      hint,
      { file },
      error,
    );
  try {
    // Works when a TypeScript loader is active (tsx) or Node strips types natively.
    return ((await import(url)) as { default?: unknown }).default;
  } catch (first) {
    if ((first as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION')
      throw failed(first, 'Fix the error in the configuration file, then run "drawdown config check".');
    let tsx: { tsImport(url: string, parent: string): Promise<{ default?: unknown }> };
    try {
      tsx = (await import('tsx/esm/api' as string)) as typeof tsx;
    } catch {
      throw failed(
        first,
        'Install tsx next to drawdown (npm i -D tsx) to use a TypeScript config, or use drawdown.config.json.',
      );
    }
    try {
      return (await tsx.tsImport(url, import.meta.url)).default;
    } catch (error) {
      throw failed(error, 'Fix the error in the configuration file, then run "drawdown config check".');
    }
  }
}

async function readConfigFile(file: string): Promise<unknown> {
  if (/\.m?ts$/.test(file)) return importTypeScript(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw cliError(
      CliErrorCodes.INVALID_CONFIG,
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'Check the path given by --config or DRAWDOWN_CONFIG.',
      { file },
      error,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw cliError(
      CliErrorCodes.INVALID_CONFIG,
      `${file} is not valid JSON: ${(error as Error).message}`,
      'Fix the syntax, then run "drawdown config check".',
      { file },
      error,
    );
  }
}

/**
 * Environment variables override the file: DRAWDOWN_DB (a SQLite file path, a postgres:// URL, or
 * "memory"), DRAWDOWN_TIME_ZONE. DRAWDOWN_CONFIG picks the file itself (see `locateConfig`).
 */
export function applyEnv(
  config: DrawdownConfig,
  env: NodeJS.ProcessEnv,
): { config: DrawdownConfig; fromEnv: string[] } {
  const fromEnv: string[] = [];
  let next = config;
  const db = env.DRAWDOWN_DB;
  if (db) {
    fromEnv.push('DRAWDOWN_DB');
    const schema = next.store?.kind === 'postgres' ? next.store.schema : undefined;
    next = {
      ...next,
      store: /^postgres(ql)?:\/\//.test(db)
        ? { kind: 'postgres', connectionString: db, ...(schema !== undefined && { schema }) }
        : db === 'memory'
          ? { kind: 'memory' }
          : { kind: 'sqlite', file: path.resolve(db) },
    };
  }
  if (env.DRAWDOWN_TIME_ZONE) {
    fromEnv.push('DRAWDOWN_TIME_ZONE');
    next = { ...next, timeZone: env.DRAWDOWN_TIME_ZONE };
  }
  return { config: next, fromEnv };
}

/** Finds, reads, overlays the environment and validates the configuration. Never throws for problems in the content: they are returned. */
export async function loadConfig(options: {
  explicit?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<LoadedConfig> {
  const located = locateConfig(options);
  const raw = located.file === undefined ? {} : await readConfigFile(located.file);
  const problems = validateConfig(raw);
  const relativeStore = (config: DrawdownConfig): DrawdownConfig =>
    // A relative SQLite path in a file means relative to that file, not to wherever the command runs.
    config.store?.kind === 'sqlite' && typeof config.store.file === 'string' && located.file !== undefined
      ? { ...config, store: { ...config.store, file: path.resolve(path.dirname(located.file), config.store.file) } }
      : config;
  const base = problems.length === 0 ? relativeStore(raw as DrawdownConfig) : (raw as DrawdownConfig);
  const { config, fromEnv } = applyEnv(typeof raw === 'object' && raw !== null ? base : {}, options.env);
  if (fromEnv.length > 0)
    problems.push(...validateConfig(config).filter((p) => !problems.some((q) => q.path === p.path)));
  return {
    config,
    ...(located.file !== undefined && { file: located.file }),
    searched: located.searched,
    fromEnv,
    problems,
  };
}
