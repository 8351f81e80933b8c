import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { isDrawdownError } from '@drawdown/core';
import { CliErrorCodes, cliError, describeFailure } from '../cli-error.js';
import { checkConfig } from '../config/check.js';
import { checkSetup } from '../config/check-setup.js';
import { userConfigDir } from '../config/locate.js';
import {
  defaultConnectionString,
  profileIds,
  profiles,
  type ProfileAnswers,
  type ProfileId,
} from '../config/starter.js';
import { problemText } from '../config/option-problems.js';
import type { ConfigProblem, DrawdownConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import type { CliContext } from '../context.js';
import { describeStore, openStore, storeProblems } from '../hub/store.js';
import { createPrompt, type Prompt } from '../prompt.js';
import { fitText } from '../render/status.js';
import { renderTable } from '../render/table.js';
import { withProgress } from '../render/progress.js';
import { paint } from '../render/terminal.js';
import { isZeroConfig, loadFor } from '../session.js';
import { localTimeZone } from '../zero-config/index.js';

const ZERO_CONFIG_NOTE =
  'Without one, drawdown runs in zero-configuration mode: "drawdown status" shows what Claude Code spent on this machine (from its own session logs, at API prices) and which pool each credential here draws; "drawdown report" shows that spend by day and model. Create a configuration with "drawdown config init" (--global for the user configuration directory).';

function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description(
      'check the configuration, open its ledger and check each key: every problem with its field path, in one pass',
    )
    .option('--json', 'print { file, ok, problems, credentials } as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const loaded = await loadFor(ctx, command);
      if (isZeroConfig(loaded)) {
        // Nothing to validate is not "valid": say so, and what drawdown shows meanwhile.
        const userDir = userConfigDir(ctx.env);
        if (options.json)
          ctx.term.out(
            JSON.stringify(
              {
                file: null,
                ok: false,
                found: false,
                searched: loaded.searched,
                problems: [],
                zeroConfig: ZERO_CONFIG_NOTE,
              },
              null,
              2,
            ),
          );
        else
          ctx.term.out(
            fitText(
              `${paint(ctx.term, 'red', '✗')} no drawdown configuration found (looked from ${ctx.cwd} upwards, then in ${userDir}).\n\n${ZERO_CONFIG_NOTE}`,
              ctx.term,
            ),
          );
        ctx.exitCode = 1;
        return;
      }
      const { problems, credentials } = await withProgress(ctx.term, 'opening the ledger and checking keys', () =>
        checkSetup(loaded, { env: ctx.env, cwd: ctx.cwd }),
      );
      const file = loaded.file!;
      if (options.json) {
        ctx.term.out(
          JSON.stringify({ file, ok: problems.length === 0, fromEnv: loaded.fromEnv, problems, credentials }, null, 2),
        );
      } else if (problems.length === 0) {
        const c = loaded.config;
        const line = (label: string, value: string): string =>
          fitText(`  ${label.padEnd(11)} ${value}`, ctx.term, ' '.repeat(14));
        ctx.term.out(fitText(`${paint(ctx.term, 'green', '✓')} ${file} is valid`, ctx.term));
        ctx.term.out(line('strategies:', Object.keys(c.strategies ?? {}).join(', ') || 'none'));
        ctx.term.out(
          line(
            'pools:',
            `${Object.keys(c.pools ?? {}).join(', ') || 'none'}${c.plugins?.length ? ` (+ ${c.plugins.length} plugin${c.plugins.length === 1 ? '' : 's'})` : ''}`,
          ),
        );
        ctx.term.out(line('route:', (c.route ?? []).map((e) => e.id).join(' → ') || 'none'));
        ctx.term.out(line('store:', `${describeStore(c.store, ctx.env)} (opened)`));
        for (const { strategy, detail } of credentials) ctx.term.out(line('key:', `${strategy}: ${detail}`));
        if (loaded.fromEnv.length > 0) ctx.term.out(line('from env:', loaded.fromEnv.join(', ')));
      } else {
        const heading = `${paint(ctx.term, 'red', '✗')} ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
        ctx.term.out(`${fitText(heading, ctx.term)}\n\n`);
        ctx.term.out(
          renderTable(
            [
              { header: 'Field', shrink: 'wrap' },
              { header: 'Problem', shrink: 'wrap' },
            ],
            problems.map((p) => [p.path, problemText(p)]),
            undefined,
            { maxWidth: ctx.term.width },
          ),
        );
      }
      // The problems are the output; exit non-zero without repeating them as an error line.
      if (problems.length > 0) ctx.exitCode = 1;
    });
}

interface InitOptions {
  profile?: string;
  global?: boolean;
  timeZone?: string;
  connectionString?: string;
  force?: boolean;
  json?: boolean;
}

/** Everything the wizard asked, ready to write. */
interface InitAnswers extends ProfileAnswers {
  profile: ProfileId;
  global: boolean;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Asks until `accept` takes the answer (undefined when it does); a blank answer takes the default
 * shown. Each refusal is said, and the question asked again (with the refused answer as the
 * default when `retry` is set: a database created meanwhile is tried again by pressing Enter).
 * When the input ends on a refused answer, the refusal is the error: a script's wrong answer
 * fails instead of looping.
 */
async function askUntil(
  prompt: Prompt,
  ctx: CliContext,
  ask: { question: (shown: string) => string; fallback: string; argument: string; retry?: boolean },
  accept: (answer: string) => Promise<{ problem: string; hint: string } | undefined>,
): Promise<string> {
  let shown = ask.fallback;
  let lastRefusal: { problem: string; hint: string } | undefined;
  for (;;) {
    const given = await prompt.ask(fitText(ask.question(shown), ctx.term));
    const refused = given === undefined && lastRefusal ? lastRefusal : await accept(given || shown);
    if (refused === undefined) return given || shown;
    if (given === undefined)
      throw cliError(CliErrorCodes.INVALID_ARGUMENT, refused.problem, refused.hint, { argument: ask.argument });
    lastRefusal = refused;
    const answer = given || shown;
    if (ask.retry) shown = answer;
    const again = ask.retry ? ' Then press Enter to try it again, or answer another.' : '';
    ctx.term.note(fitText(`${refused.problem}\n${refused.hint}${again}`, ctx.term));
  }
}

/**
 * The wizard: asks for everything the configuration it writes depends on (the profile, where,
 * the time zone, the team's PostgreSQL database, the variable each key is read from), each with
 * its default shown. A database that does not open is asked again, with what to do about it.
 */
async function askInit(ctx: CliContext): Promise<InitAnswers> {
  const prompt = createPrompt(ctx);
  try {
    const list = profileIds
      .map((id, i) => fitText(`  ${i + 1}. ${profiles[id].title}: ${profiles[id].summary}`, ctx.term, '     '))
      .join('\n');
    const chosen = (answer: string): ProfileId | undefined =>
      profileIds[Number(answer) - 1] ?? profileIds.find((id) => id === answer);
    const pick = await askUntil(
      prompt,
      ctx,
      {
        question: (shown) => `Which setup?\n${list}\nChoose 1-${profileIds.length} [${shown}]:`,
        fallback: '2',
        argument: 'profile',
      },
      async (answer) =>
        chosen(answer) === undefined
          ? { problem: `"${answer}" is not one of the choices.`, hint: `Answer 1 to ${profileIds.length}.` }
          : undefined,
    );
    const profile = chosen(pick)!;
    const where = await askUntil(
      prompt,
      ctx,
      {
        question: (shown) =>
          `Write it for every project (${userConfigDir(ctx.env)}) or just here (${ctx.cwd})? [global/here, default ${shown}]:`,
        fallback: 'global',
        argument: 'global',
      },
      async (answer) =>
        /^(g(lobal)?|h(ere)?)$/i.test(answer)
          ? undefined
          : { problem: `"${answer}" is neither global nor here.`, hint: 'Answer global or here.' },
    );
    const zone = localTimeZone(ctx.env);
    const timeZone = await askUntil(
      prompt,
      ctx,
      {
        question: (shown) => `Time zone for daily and monthly budgets [${shown}]:`,
        fallback: zone,
        argument: 'timeZone',
      },
      async (answer) => {
        const problem = validateConfig({ timeZone: answer }).find((p) => p.path === 'timeZone');
        return (
          problem && {
            problem: `The time zone ${problem.message}.`,
            hint: `Answer a zone name, or press Enter for ${zone}.`,
          }
        );
      },
    );
    const connectionString =
      profile === 'team'
        ? await askUntil(
            prompt,
            ctx,
            {
              question: (shown) => `PostgreSQL URL of the shared ledger's database [${shown}]:`,
              fallback: defaultConnectionString,
              argument: 'connectionString',
              retry: true,
            },
            databaseRefusal,
          )
        : undefined;
    const keyVariables: Record<string, string> = {};
    for (const [strategy, key] of Object.entries(profiles[profile].keys)) {
      keyVariables[strategy] = await askUntil(
        prompt,
        ctx,
        {
          question: (shown) => `Environment variable holding ${key.for} [${shown}]:`,
          fallback: key.envVar,
          argument: 'envVar',
        },
        async (answer) =>
          VARIABLE_NAME.test(answer)
            ? undefined
            : { problem: `"${answer}" is not a variable name.`, hint: `Answer a name like ${key.envVar}.` },
      );
      if (!ctx.env[keyVariables[strategy]!]) ctx.term.note(fitText(unsetKeyNote(keyVariables[strategy]!), ctx.term));
    }
    return {
      profile,
      global: where.toLowerCase().startsWith('g'),
      timeZone,
      keyVariables,
      ...(connectionString !== undefined && { connectionString }),
    };
  } finally {
    prompt.close();
  }
}

/** Opens the database as the ledger will be opened; what went wrong and its fix, or undefined. */
async function databaseRefusal(connectionString: string): Promise<{ problem: string; hint: string } | undefined> {
  const store = { kind: 'postgres' as const, connectionString };
  const [problem] = await storeProblems(store);
  if (problem)
    return { problem: `The URL ${problem.message}.`, hint: 'Answer a URL like postgres://user@host:5432/db.' };
  try {
    await (await openStore(store)).close();
    return undefined;
  } catch (error) {
    if (!isDrawdownError(error)) throw error;
    const { hint } = describeFailure(error);
    return { problem: error.message, hint: hint ?? 'Check the URL, then answer again.' };
  }
}

const unsetKeyNote = (variable: string): string =>
  `${variable} is not set here. Export it where drawdown runs (export ${variable}=sk-ant-…, in your shell profile to keep it); "drawdown config check" fails until it is set.`;

/** The answers the flags give (no questions): the profile's defaults for what they leave out. */
function answersFromFlags(ctx: CliContext, options: InitOptions): InitAnswers {
  const profile = (options.profile ?? 'api-key') as ProfileId;
  if (profile === 'team' && options.connectionString === undefined)
    throw cliError(
      CliErrorCodes.INVALID_ARGUMENT,
      'the team profile needs the PostgreSQL database of its shared ledger',
      `Pass --connection-string ${defaultConnectionString} (the database must exist), or run "drawdown config init" without --profile to be asked.`,
      { argument: 'connection-string' },
    );
  return {
    profile,
    global: options.global === true,
    timeZone: options.timeZone ?? localTimeZone(ctx.env),
    ...(options.connectionString !== undefined && { connectionString: options.connectionString }),
  };
}

function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('write a starting configuration from a profile (asks for each setting, or takes flags)')
    .addOption(
      new Option(
        '--profile <id>',
        'desktop-app (trial → personal → opted-in credits), api-key (monthly budget) or team (PostgreSQL)',
      ).choices([...profileIds]),
    )
    .option('--global', "write to the user's configuration directory instead of the current directory")
    .option('--time-zone <zone>', "IANA zone for daily and monthly windows (default: this machine's zone)")
    .option('--connection-string <url>', 'PostgreSQL URL of an existing database (the team profile needs it)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print { file, profile, timeZone, config } as JSON')
    .action(async (given: InitOptions) => {
      // Without --profile the wizard asks, on a terminal or from lines piped to stdin.
      const asked = given.profile === undefined && !given.json;
      const answers = asked ? await askInit(ctx) : answersFromFlags(ctx, given);
      const profile = profiles[answers.profile];
      const { timeZone } = answers;
      const config: DrawdownConfig = profile.config(answers);
      const dir = answers.global ? userConfigDir(ctx.env) : ctx.cwd;
      const file = path.join(dir, 'drawdown.config.json');
      // What is written must pass the file's check: check it before touching the disk.
      const problems: ConfigProblem[] = validateConfig(config);
      if (problems.length === 0)
        problems.push(
          ...(
            await checkConfig({ config, file, searched: [file], fromEnv: [], problems: [] }, { env: ctx.env, cwd: dir })
          ).problems,
        );
      if (problems.length > 0) {
        const first = problems[0]!;
        const argument =
          first.path === 'timeZone' ? 'time-zone' : first.path.startsWith('store') ? 'connection-string' : 'profile';
        throw cliError(
          CliErrorCodes.INVALID_ARGUMENT,
          `the configuration would not be valid: ${first.path} ${first.message}`,
          `Fix --${argument} and run "drawdown config init" again.`,
          { argument, problems },
        );
      }
      if (existsSync(file) && !given.force) {
        throw cliError(
          CliErrorCodes.INVALID_ARGUMENT,
          `${file} already exists`,
          'Pass --force to overwrite it, or edit it and run "drawdown config check".',
          { argument: 'force', file },
        );
      }
      mkdirSync(dir, { recursive: true });
      await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
      if (given.json) {
        ctx.term.out(JSON.stringify({ file, profile: profile.id, timeZone, config }, null, 2));
        return;
      }
      ctx.term.out(fitText(`wrote ${file}: ${profile.title} (${profile.summary}), time zone ${timeZone}.`, ctx.term));
      const unset = [
        ...new Set(
          Object.values(config.strategies ?? {}).flatMap((s) =>
            s.kind === 'apiKey' && !ctx.env[s.envVar ?? 'ANTHROPIC_API_KEY'] ? [s.envVar ?? 'ANTHROPIC_API_KEY'] : [],
          ),
        ),
      ];
      const exports = unset.length > 0 ? `export ${unset.join(' and ')} where drawdown runs, then ` : '';
      ctx.term.out(fitText(`Next: ${exports}"drawdown config check" and "drawdown status".`, ctx.term));
    });
}

export function configCommand(ctx: CliContext): Command {
  return new Command('config')
    .description('check or create the configuration')
    .addCommand(checkCommand(ctx))
    .addCommand(initCommand(ctx));
}
