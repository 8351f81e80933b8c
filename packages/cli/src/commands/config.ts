import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { checkConfig } from '../config/check.js';
import { userConfigDir } from '../config/locate.js';
import { profileIds, profiles, type ProfileId } from '../config/starter.js';
import type { ConfigProblem, DrawdownConfig } from '../config/types.js';
import { validateConfig } from '../config/validate.js';
import type { CliContext } from '../context.js';
import { describeStore } from '../hub/store.js';
import { fitText } from '../render/status.js';
import { renderTable } from '../render/table.js';
import { paint } from '../render/terminal.js';
import { isZeroConfig, loadFor } from '../session.js';
import { localTimeZone } from '../zero-config/index.js';

const ZERO_CONFIG_NOTE =
  'Without one, drawdown runs in zero-configuration mode: "drawdown status" shows what Claude Code spent on this machine (from its own session logs, at API prices) and which pool each credential here draws; "drawdown report" shows that spend by day and model. Create a configuration with "drawdown config init" (--global for the user configuration directory).';

function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('validate the configuration and print every problem with its field path, in one pass')
    .option('--json', 'print { file, ok, problems } as JSON')
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
      const { problems } = await checkConfig(loaded, { env: ctx.env, cwd: ctx.cwd });
      const file = loaded.file!;
      if (options.json) {
        ctx.term.out(JSON.stringify({ file, ok: problems.length === 0, fromEnv: loaded.fromEnv, problems }, null, 2));
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
        ctx.term.out(line('store:', describeStore(c.store)));
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
            problems.map((p) => [p.path, p.message]),
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

/** Asks for the profile, the place and the time zone on a terminal; every answer has a default. */
async function askInit(ctx: CliContext, options: InitOptions): Promise<InitOptions> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Read answers as a stream of lines, so answers typed (or pasted) ahead are kept for the next question.
  const lines = rl[Symbol.asyncIterator]();
  const question = async (text: string): Promise<string> => {
    ctx.term.note(text);
    const next = await lines.next();
    return next.done ? '' : String(next.value);
  };
  try {
    const list = profileIds
      .map((id, i) => fitText(`  ${i + 1}. ${profiles[id].title}: ${profiles[id].summary}`, ctx.term, '     '))
      .join('\n');
    const pick = (await question(`Which setup?\n${list}\nChoose 1-${profileIds.length} [2]:`)).trim() || '2';
    const profile =
      profileIds[Number(pick) - 1] ?? (profileIds.includes(pick as ProfileId) ? (pick as ProfileId) : undefined);
    if (profile === undefined)
      throw cliError(
        CliErrorCodes.INVALID_ARGUMENT,
        `"${pick}" is not one of the choices`,
        `Answer 1 to ${profileIds.length}, or pass --profile ${profileIds.join('|')}.`,
        { argument: 'profile' },
      );
    const where = (
      await question(
        fitText(
          `Write it for every project (${userConfigDir(ctx.env)}) or just here (${ctx.cwd})? [global/here, default global]:`,
          ctx.term,
        ),
      )
    )
      .trim()
      .toLowerCase();
    const zone = localTimeZone(ctx.env);
    const timeZone = (await question(`Time zone for daily and monthly budgets [${zone}]:`)).trim() || zone;
    return { ...options, profile, global: where === '' || where.startsWith('g'), timeZone };
  } finally {
    rl.close();
  }
}

function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('write a starting configuration from a profile (asks on a terminal, or takes flags)')
    .addOption(
      new Option(
        '--profile <id>',
        'desktop-app (trial → personal → opted-in credits), api-key (monthly budget) or team (PostgreSQL)',
      ).choices([...profileIds]),
    )
    .option('--global', "write to the user's configuration directory instead of the current directory")
    .option('--time-zone <zone>', "IANA zone for daily and monthly windows (default: this machine's zone)")
    .option(
      '--connection-string <url>',
      'PostgreSQL URL for the team profile (default postgres://localhost:5432/drawdown)',
    )
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print { file, profile, timeZone, config } as JSON')
    .action(async (given: InitOptions) => {
      const interactive =
        given.profile === undefined && !given.json && process.stdin.isTTY === true && process.stderr.isTTY === true;
      const options = interactive ? await askInit(ctx, given) : given;
      const profile = profiles[(options.profile ?? 'api-key') as ProfileId];
      const timeZone = options.timeZone ?? localTimeZone(ctx.env);
      const config: DrawdownConfig = profile.config({
        timeZone,
        ...(options.connectionString !== undefined && { connectionString: options.connectionString }),
      });
      const dir = options.global ? userConfigDir(ctx.env) : ctx.cwd;
      const file = path.join(dir, 'drawdown.config.json');
      // What is written must pass "drawdown config check": check it before touching the disk.
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
      if (existsSync(file) && !options.force) {
        throw cliError(
          CliErrorCodes.INVALID_ARGUMENT,
          `${file} already exists`,
          'Pass --force to overwrite it, or edit it and run "drawdown config check".',
          { argument: 'force', file },
        );
      }
      mkdirSync(dir, { recursive: true });
      await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
      if (options.json) {
        ctx.term.out(JSON.stringify({ file, profile: profile.id, timeZone, config }, null, 2));
        return;
      }
      ctx.term.out(fitText(`wrote ${file}: ${profile.title} (${profile.summary}), time zone ${timeZone}.`, ctx.term));
      const keys = [
        ...new Set(
          Object.values(config.strategies ?? {}).flatMap((s) =>
            s.kind === 'apiKey' ? [s.envVar ?? 'ANTHROPIC_API_KEY'] : [],
          ),
        ),
      ];
      ctx.term.out(
        fitText(
          `Next: export ${keys.join(' and ')} where drawdown runs, then "drawdown config check" and "drawdown status".`,
          ctx.term,
        ),
      );
    });
}

export function configCommand(ctx: CliContext): Command {
  return new Command('config')
    .description('check or create the configuration')
    .addCommand(checkCommand(ctx))
    .addCommand(initCommand(ctx));
}
