import { createRequire } from 'node:module';

/**
 * The version of the installed `@drawdown/cli`, read from its package.json at run time. This file
 * sits one directory below the package root both as source (`src/`) and as built code (`dist/`),
 * and package.json ships in the tarball, so the same path works in a checkout and after install.
 */
export const CLI_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
