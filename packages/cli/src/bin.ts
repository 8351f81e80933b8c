#!/usr/bin/env node
import { runCli } from './program.js';

// `pnpm drawdown …` in a checkout runs this file from the repository root; the directory the user
// typed it in is INIT_CWD (set by pnpm and npm). Work from there, so a configuration next to the
// user's project (or above it) is found and relative paths mean what the user meant.
const fromCheckoutScript =
  process.env.npm_package_name === 'drawdown-workspace' &&
  (process.env.npm_lifecycle_event === 'drawdown' || process.env.npm_lifecycle_event === 'demo');
if (fromCheckoutScript && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

process.exitCode = await runCli(process.argv.slice(2));
