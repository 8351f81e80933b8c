import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DrawdownError, invalidOption } from '@drawdown/core';
import { OAuthErrorCodes } from '../errors.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { serialQueue, type StoredTokens, type TokenStore } from './token-store.js';

export interface FileTokenStoreOptions {
  /** The token file. Default `<config dir>/drawdown/tokens/<name>.json`. */
  path?: string;
  /** File name under the default directory (the OAuth strategy id). Default `oauth`. */
  name?: string;
  /** How long to wait for another process's refresh, and when a lock counts as abandoned. */
  lock?: FileLockOptions;
  /** Environment to read XDG_CONFIG_HOME / APPDATA from. Default `process.env`. */
  environment?: Record<string, string | undefined>;
}

/** The user's config directory: XDG_CONFIG_HOME, %APPDATA% on Windows, else ~/.config. */
export function configDirectory(environment: Record<string, string | undefined> = process.env): string {
  if (environment.XDG_CONFIG_HOME) return environment.XDG_CONFIG_HOME;
  if (process.platform === 'win32' && environment.APPDATA) return environment.APPDATA;
  return join(homedir(), '.config');
}

function isStoredTokens(value: unknown): value is StoredTokens {
  const v = value as Partial<StoredTokens> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.accessToken === 'string' &&
    typeof v.issuer === 'string' &&
    typeof v.clientId === 'string'
  );
}

/**
 * Keeps tokens in a JSON file readable by the user only (0600, directory 0700). Writes go to a
 * temporary file that is renamed over the old one, so readers never see half a file. `withLock`
 * holds a lock file next to it, so processes sharing the file refresh one at a time.
 */
export function fileTokenStore(options: FileTokenStoreOptions = {}): TokenStore {
  const name = options.name ?? 'oauth';
  if (options.path === undefined && !/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
    throw invalidOption(
      'fileTokenStore',
      'name',
      `is "${name}"`,
      'Use letters, digits, ".", "_" or "-", like "gateway".',
    );
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
    throw invalidOption(
      'fileTokenStore',
      'path',
      'is empty',
      'Give a file path, or leave it out to use the config directory.',
    );
  }
  const path = options.path ?? join(configDirectory(options.environment), 'drawdown', 'tokens', `${name}.json`);
  const serial = serialQueue();

  return {
    kind: 'file',
    location: path,

    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!isStoredTokens(parsed)) {
        throw new DrawdownError(
          OAuthErrorCodes.TOKEN_FILE_INVALID,
          `the token file ${path} is not one drawdown wrote; delete it and sign in again`,
          { data: { path } },
        );
      }
      // A file someone loosened is tightened back: tokens are for the user alone.
      if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
      return parsed;
    },

    async save(tokens) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const handle = await open(temporary, 'wx', 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(tokens, null, 2)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
    },

    async clear() {
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    },

    withLock: (work) =>
      serial(async () => {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        return withFileLock(`${path}.lock`, work, options.lock);
      }),
  };
}
