import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createHub, memoryStore, silentLogger, usd, type Logger } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { credits, emailNotifier, manualProvider, type EmailNotifierOptions } from '../src/index.js';
import { crossTeamLevel } from './helpers.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

/** A real SMTP server on loopback (smtp-server), optionally requiring a login; the first `refuse` mails get a 451. */
async function smtp(auth?: { user: string; pass: string }, refuse = 0) {
  const mails: Received[] = [];
  let refused = 0;
  const server = new SMTPServer({
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(login, _session, callback) {
      if (auth && login.username === auth.user && login.password === auth.pass)
        return callback(null, { user: login.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refused < refuse) {
          refused++;
          return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(typeof session.user === 'string' && { user: session.user }),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };

async function exhaustWallet(notifier: EmailNotifierOptions): Promise<void> {
  const manual = manualProvider();
  const hub = await createHub({
    store: memoryStore(),
    clock: manualClock(),
    logger,
    plugins: [credits({ provider: manual, monthlyLimit: '10' }), emailNotifier(notifier)],
  });
  await manual.grant({ amount: '50' });
  const pool = hub.pool('credits');
  await pool.reserve({ key: 'r', amount: usd('10') });
  await pool.settle({ key: 'r', cost: usd('10') });
  await hub.close();
}

describe('email notifier', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    warnings.length = 0;
  });

  it('mails each alert over SMTP with the message as subject and the details as text', async () => {
    const server = await smtp();
    close = server.close;
    await exhaustWallet({
      host: '127.0.0.1',
      port: server.port,
      from: 'Drawdown <alerts@example.com>',
      to: ['ops@example.com', 'cfo@example.com'],
      events: ['pool.exhausted'],
    });
    expect(server.mails).toHaveLength(1);
    const [mail] = server.mails;
    expect(mail).toMatchObject({ from: 'alerts@example.com', to: ['ops@example.com', 'cfo@example.com'] });
    expect(mail!.raw.replace(/\r\n[ \t]+/g, ' ')).toContain(
      'Subject: [drawdown] credits: the monthly spend limit of $10.00 is reached; it resets Dec 1, 12am (UTC)',
    );
    expect(mail!.raw).toContain('Event: pool.exhausted');
    expect(mail!.raw).toContain('Pool: credits');
  });

  it('logs in when the server asks, and never logs the password when sending fails', async () => {
    const server = await smtp({ user: 'drawdown', pass: 'smtp-password-123' });
    close = server.close;
    await exhaustWallet({
      host: '127.0.0.1',
      port: server.port,
      auth: { user: 'drawdown', pass: 'smtp-password-123' },
      from: 'alerts@example.com',
      to: 'ops@example.com',
      events: ['pool.exhausted'],
    });
    expect(server.mails.map((m) => m.user)).toEqual(['drawdown']);

    await exhaustWallet({
      host: '127.0.0.1',
      port: server.port,
      auth: { user: 'drawdown', pass: 'wrong-password-456' },
      from: 'alerts@example.com',
      to: 'ops@example.com',
      events: ['pool.exhausted'],
      retries: 1,
      backoffMs: [5],
    });
    expect(server.mails).toHaveLength(1);
    expect(warnings.find((w) => w.includes('pool.exhausted'))).toContain('after 2 attempts');
    expect(warnings.join('\n')).not.toContain('wrong-password-456');
  });

  it('at close, sends a mail waiting for its retry right away instead of after the back-off', async () => {
    const server = await smtp(undefined, 1);
    close = server.close;
    // A minute of back-off: close() returning with the mail sent means the retry did not wait for it.
    await exhaustWallet({
      host: '127.0.0.1',
      port: server.port,
      from: 'alerts@example.com',
      to: 'ops@example.com',
      events: ['pool.exhausted'],
      backoffMs: [60_000],
    });
    expect(server.refused()).toBe(1);
    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]!.raw).toContain('monthly spend limit');
    expect(warnings).toEqual([]);
  });

  it('at close, gives up on a server that never answers after closeTimeoutMs, with one warning line', async () => {
    // Accepts the connection and never says a word (nodemailer would wait 30 s for the greeting).
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    close = () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(() => resolve());
      });
    const port = (silent.address() as AddressInfo).port;
    await exhaustWallet({
      host: '127.0.0.1',
      port,
      auth: { user: 'drawdown', pass: 'smtp-password-789' },
      from: 'alerts@example.com',
      to: 'ops@example.com',
      events: ['pool.exhausted'],
      closeTimeoutMs: 300,
    });
    expect(sockets.size).toBeGreaterThanOrEqual(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`email "email" gave up on pool.exhausted via 127.0.0.1:${port} at close`);
    expect(warnings[0]).toContain('closeTimeoutMs 300');
    expect(warnings[0]).not.toContain('smtp-password-789');
  });

  it('validates its options, naming the field', () => {
    const field = (options: Partial<EmailNotifierOptions>) => {
      try {
        emailNotifier({ host: 'smtp.example.com', port: 587, from: 'a@example.com', to: 'b@example.com', ...options });
      } catch (error) {
        return (error as { data: { field: string } }).data.field;
      }
      return undefined;
    };
    expect(field({ host: '' })).toBe('host');
    expect(field({ port: 70_000 })).toBe('port');
    expect(field({ from: 'not an address' })).toBe('from');
    expect(field({ to: ['ok@example.com', 'nope'] })).toBe('to[1]');
    expect(field({ auth: { user: 'u' } as never })).toBe('auth');
    expect(field({ closeTimeoutMs: -1 })).toBe('closeTimeoutMs');
    expect(field({ closeTimeoutMs: 1.5 })).toBe('closeTimeoutMs');
    expect(field({ closeTimeoutMs: 0 })).toBeUndefined();
    expect(field({})).toBeUndefined();
  });

  it("mails a budget level's soft limit crossing once, however many requests cross it together", async () => {
    const server = await smtp();
    close = server.close;
    await crossTeamLevel(
      emailNotifier({ host: '127.0.0.1', port: server.port, from: 'alerts@example.com', to: 'ops@example.com' }),
    );
    // The subject is encoded (it has quotes); the text starts with the same line.
    const messages = server.mails.map((m) => /\r\n\r\n([^\r\n]*)/.exec(m.raw)?.[1]);
    expect(messages.sort()).toEqual([
      'team "research" budget of $1.00 reached: $1.00 spent',
      'team "research" soft limit of $0.50 reached: $0.50 spent',
    ]);
    expect(server.mails[0]!.raw).toContain('Event: limit.crossed');
  });
});
