import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trialConfig, useProject } from './project.js';
import { binPath, runDrawdown, tsxLoader, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';
import { postgresAvailable, postgresUrl } from '../../../test-support/services.js';

const postgresReachable = await postgresAvailable("the CLI's team-profile tests");

describe.concurrent('drawdown config check', () => {
  it('summarises a valid configuration: strategies, pools, route and store', async () => {
    const project = useProject(trialConfig);
    const result = await runDrawdown(['config', 'check'], { cwd: project.dir, env: { APP_TRIAL_KEY: 'sk-ant-t' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`✓ ${project.file} is valid`);
    expect(result.stdout).toMatch(/route:\s+trial → daily/);
    expect(result.stdout).toMatch(new RegExp(`store:\\s+sqlite ${project.dir}/ledger\\.sqlite`));
  });

  it('lists every problem with its field path and exits non-zero', async () => {
    const project = useProject({
      timeZone: 'Mars/Olympus',
      store: { kind: 'mysql' },
      strategies: { bundled: { kind: 'apiKey', key: 'sk-ant-do-not-put-here' }, personal: { kind: 'telepathy' } },
      pools: { trial: { kind: 'budget', amount: '-3' }, daily: { kind: 'budget', amount: '5', period: 'fortnight' } },
      route: [
        { id: 'trial', strategy: 'bundled', pool: 'trail' },
        { id: 'trial', pool: 'daily' },
      ],
      colour: 'blue',
    } as never);
    // A wide terminal keeps each problem on one line.
    const result = await runInProcess(['config', 'check'], { cwd: project.dir, env: { COLUMNS: '200' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`✗ ${project.file}: 10 problems`);
    const lines = result.stdout.trimEnd().split('\n');
    const fields = lines.slice(lines.findIndex((l) => l.startsWith('─')) + 1).map((line) => line.split(/\s{2,}/)[0]);
    // In the order of the file's settings, whichever check found them.
    expect(fields).toEqual([
      'timeZone',
      'store.kind',
      'strategies.bundled.key',
      'strategies.personal.kind',
      'pools.trial.amount',
      'pools.daily.period',
      'route[0].pool',
      'route[1].id',
      'route[1].strategy',
      'colour',
    ]);
    // Each with the fix its owner gives: the budget plugin for the amount, the hub for the zone.
    expect(result.stdout).toMatch(/pools\.trial\.amount +must be more than zero\. Fix: Write it like "10\.00"\./);
    expect(result.stdout).toMatch(
      /timeZone +is "Mars\/Olympus", which is not an IANA time zone\. Fix: Use a name like "UTC"/,
    );
    // Even a misplaced secret is never echoed back.
    expect(result.stdout + result.stderr).not.toContain('sk-ant-do-not-put-here');
  });

  it('reports the problems as JSON with --json', async () => {
    const project = useProject({
      ...trialConfig,
      pools: { ...trialConfig.pools, daily: { kind: 'budget', amount: '5', lowAt: 7 } },
    } as never);
    const result = await runInProcess(['config', 'check', '--json'], { cwd: project.dir });
    expect(result.code).toBe(1);
    // lowAt is not checked by the CLI itself: the budget plugin's own check gives the problem and its fix.
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      file: project.file,
      problems: [{ path: 'pools.daily.lowAt', message: 'is 7', hint: 'Use a share between 0 and 1, like 0.8.' }],
    });
  });

  it('fails with one line and a hint when the file is not valid JSON', async () => {
    const project = useProject('{ "pools": { ');
    const result = await runInProcess(['config', 'check'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: .*drawdown\.config\.json is not valid JSON: .*\nhint: Fix the syntax, then run "drawdown config check"\.\n$/,
    );
  });

  it('finds the configuration in a parent directory, in DRAWDOWN_CONFIG, or via --config', async () => {
    const project = useProject(trialConfig);
    const nested = path.join(project.dir, 'src', 'deep');
    (await import('node:fs')).mkdirSync(nested, { recursive: true });
    const key = { APP_TRIAL_KEY: 'sk-ant-t' };
    const fromParent = await runInProcess(['config', 'check'], { cwd: nested, env: key });
    expect(fromParent.stdout).toContain(`✓ ${project.file} is valid`);
    const other = path.join(project.dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...trialConfig, route: [trialConfig.route![0]] }));
    const fromEnv = await runInProcess(['config', 'check'], { cwd: nested, env: { ...key, DRAWDOWN_CONFIG: other } });
    expect(fromEnv.stdout).toContain(`✓ ${other} is valid`);
    const fromFlag = await runInProcess(['--config', other, 'config', 'check'], { cwd: nested, env: key });
    expect(fromFlag.stdout).toContain(`✓ ${other} is valid`);
    const missing = await runInProcess(['--config', 'nope.json', 'status'], { cwd: nested });
    expect(missing.code).not.toBe(0);
    expect(unwrapped(missing.stderr)).toMatch(/^drawdown: cannot read .*nope\.json: ENOENT/);
  });

  it("falls back to the user's configuration directory", async () => {
    const project = useProject({}, 'unused.json');
    const userDir = path.join(project.dir, 'xdg', 'drawdown');
    (await import('node:fs')).mkdirSync(userDir, { recursive: true });
    writeFileSync(path.join(userDir, 'drawdown.config.json'), JSON.stringify(trialConfig));
    const result = await runInProcess(['config', 'check'], {
      cwd: project.dir,
      env: { XDG_CONFIG_HOME: path.join(project.dir, 'xdg'), APP_TRIAL_KEY: 'sk-ant-t' },
    });
    expect(result.stdout).toContain(`✓ ${path.join(userDir, 'drawdown.config.json')} is valid`);
  });

  it('looks under the HOME it is given when XDG_CONFIG_HOME is unset, even run in process', async () => {
    const project = useProject({}, 'unused.json');
    const userDir = path.join(project.dir, 'home', '.config', 'drawdown');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(path.join(userDir, 'drawdown.config.json'), JSON.stringify(trialConfig));
    const result = await runInProcess(['config', 'check'], {
      cwd: project.dir,
      env: { HOME: path.join(project.dir, 'home'), XDG_CONFIG_HOME: undefined, APP_TRIAL_KEY: 'sk-ant-t' },
    });
    expect(result.stdout).toContain(`✓ ${path.join(userDir, 'drawdown.config.json')} is valid`);
  });

  it('loads a TypeScript configuration with its own pool plugin', async () => {
    const project = useProject(
      `import { budget } from '@drawdown/core';
export default {
  store: { kind: 'memory' },
  strategies: { key: { kind: 'apiKey' } },
  plugins: [budget({ id: 'team', amount: '50', period: 'month' })],
  route: [{ id: 'team', strategy: 'key', pool: 'team' }],
};
`,
      'drawdown.config.ts',
    );
    // A real project has @drawdown/core in its own node_modules; link this workspace's copy there.
    mkdirSync(path.join(project.dir, 'node_modules', '@drawdown'), { recursive: true });
    symlinkSync(
      fileURLToPath(new URL('../../core', import.meta.url)),
      path.join(project.dir, 'node_modules', '@drawdown', 'core'),
      'dir',
    );
    const result = await runInProcess(['config', 'check'], {
      cwd: project.dir,
      env: { ANTHROPIC_API_KEY: 'sk-ant-t' },
    });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.stdout).toContain('(+ 1 plugin)');
    const status = await runInProcess(['status'], { cwd: project.dir, env: { COLUMNS: '160' } });
    expect(status.stdout).toMatch(/^team\s+budget\s+available/m);
  });
});

describe.concurrent('a TypeScript configuration that fails', () => {
  it('is reported in one line naming the file, with a hint to fix it', async () => {
    const project = useProject(`throw new Error('half-written config');\nexport default {};\n`, 'drawdown.config.ts');
    const result = await runInProcess(['config', 'check'], { cwd: project.dir });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: cannot load .*drawdown\.config\.ts: half-written config \(DRAWDOWN_CLI_INVALID_CONFIG\)\nhint: Fix the error in the configuration file/,
    );
  });
});

describe.concurrent('drawdown config init', () => {
  it('writes a starting configuration that passes the check, and refuses to overwrite it', async () => {
    const project = useProject({}, 'unused.json');
    const env = {
      XDG_CONFIG_HOME: path.join(project.dir, 'xdg'),
      HOME: project.dir,
      DRAWDOWN_TIME_ZONE: 'Europe/Berlin',
      ANTHROPIC_API_KEY: 'sk-ant-config-test',
    };
    const first = await runInProcess(['config', 'init', '--profile', 'api-key'], { cwd: project.dir, env });
    expect(first.code).toBe(0);
    const file = path.join(project.dir, 'drawdown.config.json');
    expect(existsSync(file)).toBe(true);
    // The machine's time zone, not UTC.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ timeZone: 'Europe/Berlin', route: [{ id: 'api' }] });
    const check = await runInProcess(['config', 'check'], { cwd: project.dir, env });
    expect(check.code).toBe(0);
    const again = await runInProcess(['config', 'init', '--profile', 'api-key'], { cwd: project.dir, env });
    expect(again.code).not.toBe(0);
    expect(unwrapped(again.stderr)).toMatch(/already exists\s.*\nhint: Pass --force/);
  });

  it.each(['desktop-app', 'api-key', ...(postgresReachable ? ['team'] : [])])(
    'writes the %s profile to the user configuration directory with --global, and it passes the check',
    async (profile) => {
      const project = useProject({}, 'unused.json');
      const xdg = path.join(project.dir, 'xdg');
      const env = {
        XDG_CONFIG_HOME: xdg,
        HOME: project.dir,
        ANTHROPIC_API_KEY: 'sk-ant-a',
        MYAPP_TRIAL_KEY: 'sk-ant-b',
      };
      const database = profile === 'team' ? ['--connection-string', postgresUrl] : [];
      const result = await runInProcess(
        ['config', 'init', '--profile', profile, '--global', '--time-zone', 'America/New_York', ...database, '--json'],
        { cwd: project.dir, env },
      );
      expect(unwrapped(result.stderr)).toBe('');
      expect(result.code).toBe(0);
      const written = JSON.parse(result.stdout) as { file: string; profile: string; timeZone: string };
      expect(written).toMatchObject({
        file: path.join(xdg, 'drawdown', 'drawdown.config.json'),
        profile,
        timeZone: 'America/New_York',
      });
      const check = await runInProcess(['config', 'check', '--json'], { cwd: project.dir, env });
      expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, file: written.file, problems: [] });
    },
  );

  it('the desktop-app profile routes trial → personal → credits, credits only after opting in', async () => {
    const project = useProject({}, 'unused.json');
    const result = await runInProcess(['config', 'init', '--profile', 'desktop-app', '--json'], {
      cwd: project.dir,
      env: { XDG_CONFIG_HOME: path.join(project.dir, 'xdg') },
    });
    const { config } = JSON.parse(result.stdout) as {
      config: { route: Array<{ id: string; requiresOptIn?: boolean }> };
    };
    expect(config.route.map((e) => e.id)).toEqual(['trial', 'personal', 'credits']);
    expect(config.route[2]!.requiresOptIn).toBe(true);
  });

  it('refuses a time zone that is not one, before writing anything, as JSON under --json', async () => {
    const project = useProject({}, 'unused.json');
    const result = await runInProcess(['config', 'init', '--time-zone', 'Mars/Olympus', '--json'], {
      cwd: project.dir,
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      argument: 'time-zone',
      message: expect.stringContaining('Mars/Olympus'),
      hint: expect.stringContaining('--time-zone'),
    });
    expect(existsSync(path.join(project.dir, 'drawdown.config.json'))).toBe(false);
  });
});

describe.concurrent('drawdown config check without a configuration', () => {
  it('does not call it valid: it says none was found and what zero-config mode shows', async () => {
    const project = useProject({}, 'unused.json');
    const env = { XDG_CONFIG_HOME: path.join(project.dir, 'xdg'), HOME: project.dir, COLUMNS: '80' };
    const text = await runInProcess(['config', 'check'], { cwd: project.dir, env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^✗ no drawdown configuration found \(looked from/);
    expect(text.stdout).not.toMatch(/valid/);
    expect(text.stdout.replace(/\s+/g, ' ')).toContain(
      'zero-configuration mode: "drawdown status" shows what Claude Code spent',
    );
    for (const line of text.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    const json = await runInProcess(['config', 'check', '--json'], { cwd: project.dir, env });
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      found: false,
      file: null,
      zeroConfig: expect.stringContaining('zero-configuration'),
    });
  });
});

describe('drawdown config init on a terminal', () => {
  // `script` gives the CLI a real pseudo-terminal, as a user's shell does; answers are typed ahead.
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('asks for the profile, the place, the time zone and the key variable, and writes them', () => {
    const project = useProject({}, 'unused.json');
    const command = [process.execPath, '--conditions=drawdown-source', '--import', tsxLoader, binPath, 'config', 'init']
      .map((w) => `'${w}'`)
      .join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: project.dir,
      input: '2\nhere\nAsia/Tokyo\nMY_TEAM_KEY\n',
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(project.dir, 'xdg'), COLUMNS: '80', NO_COLOR: '1' },
    });
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain('Which setup?');
    expect(result.stdout).toContain('3. team on PostgreSQL');
    expect(result.stdout).toContain('Environment variable holding your API key [ANTHROPIC_API_KEY]:');
    const written = JSON.parse(readFileSync(path.join(project.dir, 'drawdown.config.json'), 'utf8')) as {
      timeZone: string;
      strategies: { key: { envVar: string } };
    };
    expect(written).toMatchObject({ timeZone: 'Asia/Tokyo', strategies: { key: { envVar: 'MY_TEAM_KEY' } } });
  });
});

describe.concurrent('drawdown config init answered by a script (stdin not a terminal)', () => {
  const home = () => {
    const project = useProject({}, 'unused.json');
    return { project, env: { XDG_CONFIG_HOME: path.join(project.dir, 'xdg'), HOME: project.dir, COLUMNS: '80' } };
  };

  it.skipIf(!postgresReachable)(
    'team: asks for the database, says how to create a missing one, and asks again; a bad zone is asked again',
    async () => {
      const { project, env } = home();
      const missing = postgresUrl.replace(/\/[^/]*$/, `/drawdown_missing_${process.pid}`);
      const result = await runInProcess(['config', 'init'], {
        cwd: project.dir,
        env: { ...env, ANTHROPIC_API_KEY: 'sk-ant-team' },
        input: `3\nhere\nMars/Olympus\nEurope/Berlin\n${missing}\n${postgresUrl}\n\n`,
      });
      expect(unwrapped(result.stderr)).toContain('[postgres://localhost:5432/drawdown]');
      expect(result.code, result.stderr).toBe(0);
      expect(unwrapped(result.stderr)).toMatch(/The time zone is "Mars\/Olympus", which is not an IANA time zone/);
      expect(unwrapped(result.stderr)).not.toContain('--time-zone');
      expect(unwrapped(result.stderr)).toMatch(/database\s+"drawdown_missing_\d+"\s+does not exist/);
      expect(result.stderr.replace(/\s+/g, ' ')).toContain(
        `createdb -h 127.0.0.1 -p 5432 -U postgres drawdown_missing_`,
      );
      const written = JSON.parse(readFileSync(path.join(project.dir, 'drawdown.config.json'), 'utf8')) as object;
      expect(written).toMatchObject({
        timeZone: 'Europe/Berlin',
        store: { kind: 'postgres', connectionString: postgresUrl },
      });
      for (const line of (result.stdout + result.stderr).split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    },
  );

  it('api-key: says the key variable is unset and what to do; the check is red until it is set', async () => {
    const { project, env } = home();
    const result = await runInProcess(['config', 'init'], {
      cwd: project.dir,
      env: { ...env, ANTHROPIC_API_KEY: undefined },
      input: '2\nhere\n\n\n',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.replace(/\s+/g, ' ')).toContain(
      'ANTHROPIC_API_KEY is not set here. Export it where drawdown runs (export ANTHROPIC_API_KEY=sk-ant-…',
    );
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('Next: export ANTHROPIC_API_KEY where drawdown runs');
    const red = await runInProcess(['config', 'check', '--json'], {
      cwd: project.dir,
      env: { ...env, ANTHROPIC_API_KEY: undefined },
    });
    expect(red.code).toBe(1);
    expect(JSON.parse(red.stdout)).toMatchObject({
      ok: false,
      problems: [{ path: 'strategies.key', message: 'ANTHROPIC_API_KEY is not set', hint: expect.any(String) }],
    });
    const green = await runInProcess(['config', 'check'], {
      cwd: project.dir,
      env: { ...env, ANTHROPIC_API_KEY: 'sk-ant-set-now' },
    });
    expect(green.code).toBe(0);
    expect(green.stdout).toMatch(/key:\s+key: key from ANTHROPIC_API_KEY/);
    expect(green.stdout).not.toContain('sk-ant-set-now');
  });

  it('fails, naming the answer and not a flag, when the script ends on a refused time zone', async () => {
    const { project, env } = home();
    const result = await runInProcess(['config', 'init'], { cwd: project.dir, env, input: '2\nhere\nMars/Olympus\n' });
    expect(result.code).toBe(1);
    expect(unwrapped(result.stderr)).toMatch(
      /drawdown: The time zone is "Mars\/Olympus", which is not an IANA time zone/,
    );
    expect(unwrapped(result.stderr)).toMatch(/hint: Answer a zone name, or press Enter for /);
    expect(unwrapped(result.stderr)).not.toContain('--time-zone');
    expect(existsSync(path.join(project.dir, 'drawdown.config.json'))).toBe(false);
  });

  it('refuses the team profile from flags without a database, naming the flag', async () => {
    const { project, env } = home();
    const result = await runInProcess(['config', 'init', '--profile', 'team', '--json'], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      argument: 'connection-string',
      hint: expect.stringContaining('--connection-string'),
    });
  });
});

describe.concurrent('drawdown config check opens the ledger', () => {
  it.skipIf(!postgresReachable)(
    'is red when the PostgreSQL database does not exist, and says how to create it',
    async () => {
      const missing = postgresUrl.replace(/\/[^/]*$/, `/drawdown_absent_${process.pid}`);
      const project = useProject({ ...trialConfig, store: { kind: 'postgres', connectionString: missing } });
      const env = { APP_TRIAL_KEY: 'sk-ant-trial', COLUMNS: '80' };
      const text = await runInProcess(['config', 'check'], { cwd: project.dir, env });
      expect(text.code).toBe(1);
      expect(text.stdout).not.toContain('is valid');
      expect(text.stdout.replace(/\s+/g, ' ')).toMatch(/store .*does not exist.* Fix: Create the database: createdb/);
      const json = await runInProcess(['config', 'check', '--json'], { cwd: project.dir, env });
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        problems: [
          {
            path: 'store',
            hint: expect.stringContaining(`createdb -h 127.0.0.1 -p 5432 -U postgres drawdown_absent_`),
          },
        ],
      });
    },
  );
});
