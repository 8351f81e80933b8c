import { invalidOption, isDrawdownError, ErrorCodes, type DrawdownPlugin, type PluginContext } from '@drawdown/core';
import { importOptional } from '@drawdown/core/internal';
import type { Transporter } from 'nodemailer';
import {
  closeTimeoutOption,
  deliverInBackground,
  eventsOption,
  untilAborted,
  type AlertEventName,
  type AlertMessage,
  retrying,
  type AttemptOutcome,
} from './alert-message.js';

export interface EmailNotifierOptions {
  /** Plugin id. Default `email`. */
  id?: string;
  /** SMTP server. */
  host: string;
  port: number;
  /** TLS from the first byte (port 465). Default false: STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Refuse to send unless the server upgrades to TLS. Default false. */
  requireTLS?: boolean;
  /** SMTP login. The password is never logged or shown. */
  auth?: { user: string; pass: string };
  from: string;
  to: string | string[];
  /** Subject prefix. Default `[drawdown]`. */
  subjectPrefix?: string;
  /** Extra attempts after a failed send. Default 2. */
  retries?: number;
  /** Waits between attempts in ms; the last repeats. Default `[1000, 5000]`. */
  backoffMs?: number[];
  /**
   * How long `hub.close()` waits for alerts still being sent, in ms. Waiting retries are made at once
   * (not after their back-off); what is still unsent then is given up with one warning each.
   * Default 5000; 0 gives up at once.
   */
  closeTimeoutMs?: number;
  /** Which events to send. Default: pool.low, pool.exhausted, pool.reset, budget.crossed, limit.crossed, reconcile.drift and the credits.* reload events. */
  events?: AlertEventName[];
}

/** Kept in step with the optional peer range in package.json. */
const NODEMAILER_RANGE = '^8.0.0';
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;
const addressOf = (value: string): string => /<([^>]+)>\s*$/.exec(value)?.[1] ?? value;

function mailText(alert: AlertMessage): string {
  return [
    alert.message,
    '',
    `Event: ${alert.event}`,
    ...(alert.poolId !== undefined ? [`Pool: ${alert.poolId}`] : []),
    `At: ${new Date(alert.at).toISOString()}`,
    '',
    'Details (JSON):',
    JSON.stringify(alert.payload, null, 2),
  ].join('\n');
}

/** Sends each alert as a plain-text email over SMTP (nodemailer). Failures are retried, then logged. */
export function emailNotifier(options: EmailNotifierOptions) {
  const id = options?.id ?? 'email';
  const owner = `emailNotifier("${id}")`;
  if (typeof options?.host !== 'string' || options.host.trim() === '')
    throw invalidOption(owner, 'host', 'is missing', 'Pass the SMTP server name, like "smtp.example.com".');
  if (!Number.isSafeInteger(options.port) || options.port <= 0 || options.port > 65_535)
    throw invalidOption(owner, 'port', `is ${String(options.port)}`, 'Use the SMTP port, like 587 or 465.');
  if (typeof options.from !== 'string' || !ADDRESS.test(addressOf(options.from)))
    throw invalidOption(owner, 'from', 'is not an email address', 'Write it like "Drawdown <alerts@example.com>".');
  const to = Array.isArray(options.to) ? options.to : [options.to];
  to.forEach((address, i) => {
    if (typeof address !== 'string' || !ADDRESS.test(addressOf(address)))
      throw invalidOption(
        owner,
        Array.isArray(options.to) ? `to[${i}]` : 'to',
        'is not an email address',
        'Write it like "ops@example.com".',
      );
  });
  if (options.auth !== undefined && (typeof options.auth.user !== 'string' || typeof options.auth.pass !== 'string')) {
    throw invalidOption(owner, 'auth', 'needs user and pass strings', 'Pass { user, pass }, or leave auth out.');
  }
  const retries = options.retries ?? 2;
  if (!Number.isSafeInteger(retries) || retries < 0)
    throw invalidOption(owner, 'retries', `is ${String(retries)}`, 'Use a whole number of zero or more.');
  const backoffMs = options.backoffMs ?? [1000, 5000];
  if (
    !Array.isArray(backoffMs) ||
    backoffMs.length === 0 ||
    backoffMs.some((ms) => !Number.isSafeInteger(ms) || ms < 0)
  ) {
    throw invalidOption(owner, 'backoffMs', 'is not a list of whole milliseconds', 'Write it like [1000, 5000].');
  }
  const closeTimeoutMs = closeTimeoutOption(owner, options.closeTimeoutMs);
  const events = eventsOption(owner, options.events);
  const prefix = options.subjectPrefix ?? '[drawdown]';

  return {
    id,
    kind: 'notifier',
    setup(ctx: PluginContext) {
      let transport: Promise<Transporter> | undefined;
      let missingReported = false;
      const connect = (): Promise<Transporter> =>
        // `nodemailer` is an optional peer dependency: only users of this notifier install it.
        (transport ??= importOptional(
          'nodemailer',
          NODEMAILER_RANGE,
          `emailNotifier("${id}")`,
          () => import('nodemailer'),
        ).then((nodemailer) =>
          nodemailer.createTransport({
            host: options.host,
            port: options.port,
            secure: options.secure ?? false,
            requireTLS: options.requireTLS ?? false,
            ...(options.auth && { auth: { user: options.auth.user, pass: options.auth.pass } }),
          }),
        ));

      /** Says once, on one line, that nodemailer is not installed; false for any other error. */
      function reportMissing(error: unknown): boolean {
        if (!isDrawdownError(error, ErrorCodes.MISSING_PACKAGE)) return false;
        if (!missingReported) ctx.logger.error(error.message);
        missingReported = true;
        return true;
      }
      // Loaded when the hub starts, so a missing nodemailer is reported then rather than at the
      // first alert; any other failure shows up when a mail is sent.
      connect().catch(reportMissing);

      const redact = (problem: string): string =>
        options.auth ? problem.split(options.auth.pass).join('[redacted]') : problem;

      const deliver = retrying({
        who: `email "${id}"`,
        where: `via ${options.host}:${options.port}`,
        verb: { present: 'send', past: 'sent' },
        retries,
        backoffMs,
        closeTimeoutMs,
        logger: ctx.logger,
        redact,
        attempts:
          (alert) =>
          async (signal): Promise<AttemptOutcome> => {
            try {
              // nodemailer takes no abort signal; the transport is closed right after, which ends the attempt.
              await untilAborted(
                connect().then((transporter) =>
                  transporter.sendMail({
                    from: options.from,
                    to,
                    subject: `${prefix} ${alert.message}`.trim(),
                    text: mailText(alert),
                  }),
                ),
                signal,
              );
              return { sent: true };
            } catch (error) {
              // A missing package does not come back on retry.
              if (reportMissing(error)) return { stop: true };
              throw error;
            }
          },
      });

      const deliveries = deliverInBackground(ctx.events.on, events, deliver, closeTimeoutMs);
      return {
        async close() {
          await deliveries.stop();
          (await transport?.catch(() => undefined))?.close();
        },
      };
    },
  } satisfies DrawdownPlugin;
}
