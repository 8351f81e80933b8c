import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { isDrawdownError, isFundablePool, toDecimalString, type FundablePool, type Hub } from '@drawdown/core';
import {
  addFundsQuestion,
  autoReloadPolicy,
  autoReloadQuestion,
  fundablePool,
  positiveUsd,
  type FundingSurface,
} from '@drawdown/core/internal';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { createPrompt } from '../prompt.js';
import { fitText, withDecimalStrings } from '../render/status.js';
import { withHub } from '../session.js';

/** The CLI's codes for the shared funding checks. */
const cliFunding: FundingSurface = {
  invalidArgument: CliErrorCodes.INVALID_ARGUMENT,
  notFundable: CliErrorCodes.UNKNOWN_NAME,
};

interface WriteOptions {
  yes?: boolean;
  json?: boolean;
}

/**
 * Asks the user to confirm a change of money (the question the MCP write tools put through their
 * client), answered y or n on stdin; `--yes` answers for them. Anything but yes changes nothing.
 */
async function confirm(ctx: CliContext, question: string, options: WriteOptions): Promise<void> {
  if (options.yes) return;
  const prompt = createPrompt(ctx);
  let answer: string | undefined;
  try {
    answer = await prompt.ask(fitText(`${question} [y/N]:`, ctx.term));
  } finally {
    prompt.close();
  }
  if (answer !== undefined && /^y(es)?$/i.test(answer)) return;
  throw cliError(
    CliErrorCodes.NOT_CONFIRMED,
    answer === undefined ? 'no answer to the confirmation; nothing was changed' : 'not confirmed; nothing was changed',
    'Answer y to go ahead, or pass --yes when a script has already asked.',
    { argument: 'yes' },
  );
}

/** Re-raises a funding check's refusal with what to type instead. */
async function withArgumentHint<T>(hint: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isDrawdownError(error) || typeof error.data.hint === 'string') throw error;
    if (error.code !== cliFunding.invalidArgument && error.code !== cliFunding.notFundable) throw error;
    const field = (error.data as { field?: unknown }).field;
    throw cliError(error.code, error.message, hint, typeof field === 'string' ? { argument: field } : {}, error);
  }
}

/** The pool named by --pool, or the configuration's one fundable pool. */
function chosenPool(hub: Hub, poolId: string | undefined): FundablePool {
  if (poolId !== undefined) return fundablePool(hub, poolId, cliFunding);
  const fundable = hub.pools().filter(isFundablePool);
  if (fundable.length === 1) return fundable[0]!;
  throw cliError(
    fundable.length === 0 ? CliErrorCodes.UNKNOWN_NAME : CliErrorCodes.INVALID_ARGUMENT,
    fundable.length === 0
      ? 'no pool of this configuration takes funds (only a credits pool does)'
      : `${fundable.length} pools take funds: ${fundable.map((p) => p.id).join(', ')}`,
    fundable.length === 0
      ? 'Add a pool of kind "credits" to drawdown.config.json ("drawdown config init --profile desktop-app" has one).'
      : 'Name one with --pool <id>.',
    { argument: 'pool' },
  );
}

/** One pool's status as the CLI prints it under --json. */
async function poolJson(pool: FundablePool): Promise<unknown> {
  return withDecimalStrings(await pool.status());
}

/** A command that changes money: each asks first (`--yes` skips the question) and prints `--json`. */
function moneyCommand(name: string, description: string, json: string): Command {
  return new Command(name)
    .description(description)
    .option('--yes', 'do not ask for confirmation')
    .option('--json', `print ${json} as JSON`);
}

function optInCommand(ctx: CliContext): Command {
  return moneyCommand(
    'opt-in',
    'let the route draw a pool that pays only after the user opts in (the credits entry)',
    '{ entryId, poolId, optedIn, pool }',
  )
    .argument('[entry]', 'route entry to opt in to (default: the one entry that needs it)')
    .option('--off', 'opt out again: the route stops drawing that entry')
    .action(async (entryId: string | undefined, options: WriteOptions & { off?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const gated = hub.router.entries.filter((e) => e.requiresOptIn);
        const entry = entryId !== undefined ? hub.router.entry(entryId) : gated.length === 1 ? gated[0] : undefined;
        if (entry === undefined)
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            gated.length === 0
              ? 'no route entry waits for an opt-in'
              : `${gated.length} route entries wait for an opt-in: ${gated.map((e) => e.id).join(', ')}`,
            gated.length === 0
              ? 'Mark a route entry "requiresOptIn": true in drawdown.config.json to gate it.'
              : 'Name one: drawdown credits opt-in <entry>.',
            { argument: 'entry' },
          );
        const optedIn = options.off !== true;
        await confirm(
          ctx,
          optedIn
            ? `Let the route draw "${entry.pool.id}" (entry "${entry.id}") when the entries before it cannot pay?`
            : `Stop the route drawing "${entry.pool.id}" (entry "${entry.id}")?`,
          options,
        );
        await hub.router.optIn(entry.id, optedIn);
        const status = await entry.pool.status();
        if (options.json) {
          ctx.term.out(
            JSON.stringify(
              { entryId: entry.id, poolId: entry.pool.id, optedIn, pool: withDecimalStrings(status) },
              null,
              2,
            ),
          );
          return;
        }
        ctx.term.out(
          fitText(`${optedIn ? 'opted in to' : 'opted out of'} "${entry.id}": ${status.summary}.`, ctx.term),
        );
      });
    });
}

function addCommand(ctx: CliContext): Command {
  return moneyCommand(
    'add',
    'add funds to a credits pool (charges its payment method; asks first)',
    '{ poolId, status, amountUsd, message, pool }',
  )
    .argument('<usd>', 'amount in USD, e.g. 25 or 25.50')
    .option('--pool <id>', 'the credits pool (default: the one pool that takes funds)')
    .option('--note <text>', 'why, for the ledger')
    .action(async (amountText: string, options: WriteOptions & { pool?: string; note?: string }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const hint = 'Give a USD amount above zero, e.g. drawdown credits add 25, and --pool <id> for the pool.';
        const { pool, amount } = await withArgumentHint(hint, async () => {
          const pool = chosenPool(hub, options.pool);
          return { pool, amount: positiveUsd(amountText, 'amount', cliFunding) };
        });
        await confirm(ctx, addFundsQuestion(pool, amount, (await pool.status()).summary), options);
        const result = await pool.addFunds({
          amount,
          idempotencyKey: `cli:${randomUUID()}`,
          ...(options.note !== undefined && { note: options.note }),
        });
        if (result.status !== 'succeeded') ctx.exitCode = 1;
        if (options.json) {
          ctx.term.out(
            JSON.stringify(
              {
                poolId: pool.id,
                status: result.status,
                amountUsd: toDecimalString(result.amount),
                ...(result.grantId !== undefined && { grantId: result.grantId }),
                message: result.message,
                pool: await poolJson(pool),
              },
              null,
              2,
            ),
          );
          return;
        }
        ctx.term.out(fitText(`${result.message}. ${pool.id}: ${(await pool.status()).summary}.`, ctx.term));
      });
    });
}

interface AutoReloadFlags extends WriteOptions {
  pool?: string;
  off?: boolean;
  threshold?: string;
  amount?: string;
  targetBalance?: string;
  monthlyLimit?: string;
}

function autoReloadCommand(ctx: CliContext): Command {
  return moneyCommand(
    'auto-reload',
    'top a credits pool up automatically when it runs low, or --off (asks first)',
    '{ poolId, autoReload, pool }',
  )
    .option('--pool <id>', 'the credits pool (default: the one pool that takes funds)')
    .option('--threshold <usd>', 'reload when the balance falls below this')
    .option('--amount <usd>', 'buy exactly this much per reload')
    .option('--target-balance <usd>', 'or top the balance up to this')
    .option('--monthly-limit <usd>', 'at most this much reloaded per calendar month')
    .option('--off', 'turn auto-reload off')
    .action(async (options: AutoReloadFlags, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const hint =
          'Pass --threshold and one of --amount or --target-balance (USD above zero), or --off; --pool <id> names the pool.';
        const { pool, policy } = await withArgumentHint(hint, () => ({
          pool: chosenPool(hub, options.pool),
          policy: autoReloadPolicy(
            {
              enabled: options.off !== true,
              threshold: options.threshold,
              amount: options.amount,
              targetBalance: options.targetBalance,
              monthlyLimit: options.monthlyLimit,
            },
            {
              threshold: '--threshold',
              amount: '--amount',
              targetBalance: '--target-balance',
              monthlyLimit: '--monthly-limit',
            },
            cliFunding,
          ),
        }));
        await confirm(ctx, autoReloadQuestion(pool.id, policy), options);
        await pool.setAutoReload(policy);
        const autoReload = policy && {
          thresholdUsd: toDecimalString(policy.threshold),
          ...(policy.amount !== undefined && { amountUsd: toDecimalString(policy.amount) }),
          ...(policy.targetBalance !== undefined && { targetBalanceUsd: toDecimalString(policy.targetBalance) }),
          ...(policy.monthlyLimit !== undefined && { monthlyLimitUsd: toDecimalString(policy.monthlyLimit) }),
        };
        if (options.json) {
          ctx.term.out(JSON.stringify({ poolId: pool.id, autoReload, pool: await poolJson(pool) }, null, 2));
          return;
        }
        const { summary } = await pool.status();
        ctx.term.out(fitText(`auto-reload ${policy ? 'on' : 'off'} for "${pool.id}": ${summary}.`, ctx.term));
      });
    });
}

export function creditsCommand(ctx: CliContext): Command {
  return new Command('credits')
    .description('finish a credits pool from the terminal: opt in, add funds, set auto-reload')
    .addCommand(optInCommand(ctx))
    .addCommand(addCommand(ctx))
    .addCommand(autoReloadCommand(ctx));
}
