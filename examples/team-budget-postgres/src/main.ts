import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatUsd, isFundablePool, usd } from '@drawdown/core';
import { DEFAULT_URL, openTeamHub } from './team.js';

export interface MemberLine {
  member: string;
  event: string;
  [field: string]: unknown;
}

/**
 * Funds the team wallet with $10, runs alice and bob side by side until it is empty, tops it up with $5
 * (both learn of it from `pool.reset`), lets them spend that too, and returns every line they printed.
 */
export async function main(
  schema = `team_${process.pid}_${Date.now()}`,
): Promise<{ lines: MemberLine[]; balance: number }> {
  const connectionString = process.env.DRAWDOWN_TEST_POSTGRES_URL ?? DEFAULT_URL;
  const admin = await openTeamHub({ connectionString, schema });
  const wallet = admin.pool('team');
  if (isFundablePool(wallet))
    await wallet.addFunds({ amount: usd('10.00'), idempotencyKey: 'team-top-up-1', note: 'monthly team budget' });
  const lines: MemberLine[] = [];
  const script = fileURLToPath(new URL('./member.ts', import.meta.url));
  const members = ['alice', 'bob'].map((name) => {
    const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', 'tsx', script, name, schema], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: process.env,
    });
    let ready = (): void => undefined;
    let waiting = (): void => undefined;
    const whenReady = new Promise<void>((resolve) => (ready = resolve));
    const whenWaiting = new Promise<void>((resolve) => (waiting = resolve));
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as MemberLine;
      lines.push(line);
      console.log(`${line.member.padEnd(6)} ${line.event}${line.message ? `: ${String(line.message)}` : ''}`);
      if (line.event === 'ready') ready();
      if (line.event === 'waiting') waiting();
    });
    const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
    return { child, whenReady, whenWaiting, exited };
  });
  await Promise.all(members.map((m) => m.whenReady));
  for (const m of members) m.child.stdin.end('go\n');
  await Promise.all(members.map((m) => m.whenWaiting));
  console.log('admin  tops the wallet up with $5.00');
  if (isFundablePool(wallet))
    await wallet.addFunds({ amount: usd('5.00'), idempotencyKey: 'team-top-up-2', note: 'mid-month top-up' });
  const codes = await Promise.all(members.map((m) => m.exited));
  if (codes.some((code) => code !== 0)) throw new Error(`a member exited with ${codes.join(', ')}`);
  const status = await wallet.status();
  console.log(`team wallet: ${status.summary} (spent ${formatUsd(status.spent)})`);
  await admin.close();
  await admin.store.close();
  return { lines, balance: status.remaining ?? 0 };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
