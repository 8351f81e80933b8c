import { DrawdownError, ErrorCodes } from './errors.js';

/**
 * Heavy integrations (Stripe, SMTP, PostgreSQL) are optional peer dependencies, so a user who
 * never configures them never downloads them. They are loaded on first use with `load` (a
 * dynamic `import()` written at the call site, so bundlers and the type checker still see the
 * specifier); when the package is not installed the user gets one line naming what to install
 * instead of Node's resolution stack.
 *
 * @param packageName  the npm package `load` imports, e.g. `stripe`
 * @param range        the version range to install, e.g. `^23.1.0`
 * @param feature      what the user configured that needs it, e.g. `stripeProvider()`
 */
export async function importOptional<Module>(
  packageName: string,
  range: string,
  feature: string,
  load: () => Promise<Module>,
): Promise<Module> {
  try {
    return await load();
  } catch (error) {
    if (!isMissing(error, packageName)) throw error;
    throw new DrawdownError(
      ErrorCodes.MISSING_PACKAGE,
      `${feature} needs the "${packageName}" package, which is not installed. Install it next to drawdown: npm install ${packageName}@${range}`,
      {
        data: { package: packageName, range, feature },
        cause: error,
      },
    );
  }
}

/**
 * True when resolving `packageName` itself failed: a package that is installed but throws while
 * loading, or misses one of its own dependencies, keeps its own error.
 */
function isMissing(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (
    code !== 'ERR_MODULE_NOT_FOUND' &&
    code !== 'MODULE_NOT_FOUND' &&
    !/^Failed to (load|resolve)/.test(error.message)
  )
    return false;
  const quoted = [`'${packageName}'`, `"${packageName}"`, `'${packageName}/`, `"${packageName}/`];
  return quoted.some((q) => error.message.includes(q));
}
