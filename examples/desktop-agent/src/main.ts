import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatUsd } from '@drawdown/core';
import { DEMO_SIGN_IN_VAR } from '@drawdown/cli';
import { replies, startAnthropicServer, unifiedRateLimitHeaders } from '@drawdown/testkit';
import { createDesktopAgent } from './agent.js';
import { startAppServer } from './app-server.js';

/** The desktop app's story offline, against a loopback Messages API. Returns what it printed. */
export async function main(): Promise<string[]> {
  const log: string[] = [];
  const say = (line: string): void => {
    log.push(line);
    console.log(line);
  };
  const dir = mkdtempSync(join(tmpdir(), 'desktop-agent-'));
  const keys = {
    server: 'sk-ant-app-server-example',
    user: 'sk-ant-user-own-example',
    signIn: 'user-sign-in-example',
  };
  writeFileSync(join(dir, 'sign-in.json'), JSON.stringify({ token: keys.signIn }), { mode: 0o600 });
  const api = await startAnthropicServer({
    credentials: { server: keys.server, user: keys.user, signIn: keys.signIn },
  });
  // The vendor's server holds the Anthropic key; the app only ever gets a drawdown key from it.
  const server = await startAppServer({
    ledgerFile: join(dir, 'server-ledger.sqlite'),
    anthropicKey: keys.server,
    upstreamURL: api.url,
  });
  const installId = 'mac-7f3a';
  const trialKey = await server.trialKey(installId);
  say(`app server minted the trial key for install ${installId}: ${trialKey.slice(0, 4)}… (a drawdown key)`);
  say(
    (await server.trialKey(installId)) === trialKey
      ? 'asked again, the app server answers the same key: one trial per install'
      : 'asked again, the app server minted a second key',
  );
  const reset = Math.floor(Date.now() / 1000) + 4 * 86_400;
  const agent = await createDesktopAgent({
    ledgerFile: join(dir, 'ledger.sqlite'),
    trialKey,
    gatewayURL: server.gatewayURL,
    baseURL: api.url,
    env: {
      ...process.env,
      ANTHROPIC_API_KEY: keys.user,
      ANTHROPIC_BASE_URL: api.url,
      [DEMO_SIGN_IN_VAR]: join(dir, 'sign-in.json'),
    },
    // In a real app: (prompt) => ['claude', '-p', prompt, '--output-format', 'stream-json', '--verbose'].
    childCommand: (prompt) => [
      process.execPath,
      '--conditions=drawdown-source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./stand-in-claude.ts', import.meta.url)),
      prompt,
    ],
    onChildMessage: (message) => {
      const m = message as { type?: string; credentialVars?: string[] };
      if (m.type === 'system')
        say(`child agent environment carries: ${m.credentialVars?.join(', ') || 'no key or token'}`);
    },
  });
  const { hub } = agent;
  hub.on('route.switched', (e) => say(`route.switched ${e.from} → ${e.to}: ${e.reason}`));
  hub.on('budget.crossed', (e) => say(`budget.crossed: ${e.message}`));
  hub.on('pool.exhausted', (e) => say(`pool.exhausted ${e.poolId}: ${e.message}`));
  hub.on('credits.reloaded', (e) => say(`credits.reloaded: ${e.message}`));
  try {
    await agent.addCredits('8.00', 'order-1001');
    await agent.optInToCredits();
    // Each in-process answer on Opus 4.7 ($5 / $25 per MTok): 420,000 in + 16,000 out = $2.10 + $0.40 = $2.50.
    const usage = { input_tokens: 420_000, output_tokens: 16_000 };
    const next = async () => (await hub.router.explain()).next?.entryId;
    let question = 0;
    const askInProcess = async () => {
      api.enqueue(replies.message({ text: `answer ${++question}`, usage }));
      const answer = await agent.ask(`question ${question}`, 'claude-opus-4-7', 16_000);
      say(`${answer.entry} answered "${answer.text}"`);
    };
    while ((await next()) === 'trial') await askInProcess();
    // Every trial request reached the API with the server's key, put there by the gateway.
    const credentials = [...new Set(api.requests.map((r) => r.credential))];
    say(`the API saw the trial's requests with: ${credentials.join(', ')} (the server's key, added by its gateway)`);
    const serverView = await server.spent(installId);
    say(`app server: install ${installId} spent $${serverView.spentUsd} of its $${serverView.budgetUsd} trial`);
    // Personal mode: the user's own agent answers until the weekly plan window is spent.
    api.enqueue(
      replies.message({
        usage: { input_tokens: 30_000, output_tokens: 6_000 },
        headers: unifiedRateLimitHeaders({
          status: 'allowed_warning',
          representativeClaim: 'seven_day',
          resetAt: reset,
          windows: { seven_day: { utilization: 0.95, resetAt: reset } },
        }),
      }),
      replies.planLimit({ resetAt: reset, claim: 'seven_day' }),
    );
    for (let turn = 1; (await next()) === 'personal'; turn++) {
      if (turn > 5)
        throw new Error('personal mode never reached the plan limit: is the child reaching the Messages API?');
      const personal = await agent.ask('refactor the settings page');
      say(`${personal.entry}: the user's own agent exited with ${personal.exitCode}`);
    }
    // The plan is spent and the user opted in: credits pay, and fall low enough to reload.
    const reloaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no credits.reloaded within 15 s')), 15_000);
      hub.once('credits.reloaded', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    reloaded.catch(() => undefined); // awaited below; this only keeps an early timeout from being unhandled
    while ((await next()) === 'credits' && question < 6) await askInProcess();
    await reloaded; // the reload runs in the background, after the settle that crossed the threshold
    for (const pool of (await hub.status()).pools) say(`${pool.id}: ${pool.summary} (spent ${formatUsd(pool.spent)})`);
  } finally {
    await agent.close();
    await server.close();
    await api.close();
  }
  return log;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
