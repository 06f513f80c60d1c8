import type { AuditInput } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/create-audit-log.js';
import type { Config, NotificationsConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Directory } from '../directory/directory.js';
import { describeUserAgent } from '../factors/push/describe-user-agent.js';
import type { KnownBrowsers } from './known-browsers.js';
import { notificationOf, type Notice } from './notification-of.js';
import { renderNotification } from './notification-templates.js';
import { isDeliverableAddress } from '../core/email-address.js';
import { createMailSender, type MailSender } from '../mail/mail-sender.js';

export interface SecurityNotifier {
  /** Queues the mail an audit event calls for, if any. Returns at once and never throws. */
  notice(input: AuditInput): void;
  /** Resolves when the queue is empty and nothing is being sent (tests, shutdown). */
  flush(): Promise<void>;
  close(): void;
}

export interface NotifierDeps {
  directory: Pick<Directory, 'findUser' | 'lookupUser'>;
  browsers?: Pick<KnownBrowsers, 'localeOf'>;
  logger: Logger;
  now: () => number;
  /** Read when a send has failed for good; the audit log is built before the notifier. */
  audit: () => Pick<AuditLog, 'record'> | undefined;
}

export interface NotifierOptions {
  config: NotificationsConfig;
  smtp: NonNullable<Config['smtp']>;
  /** The portal's sign-in methods page, named in every mail (a plain address, no token). */
  methodsUrl: string;
  /** First retry pause; doubles each time. Tests pass a few ms. */
  backoffMs?: number;
  /** Tests only: a transport other than SMTP. */
  transport?: MailSender;
}

interface Job {
  notice: Notice;
  username: string;
  at: number;
  clientIp?: string;
  userAgent?: string;
}

const CONCURRENCY = 2;

/**
 * Security notifications, sent in the background. `notice` only puts a job on a bounded queue:
 * the sign-in (or enrollment, or lockout) that recorded the event has already answered or goes on
 * at once, whatever the SMTP server does. A failed send is retried with doubling pauses, then
 * logged and audited as `notification.failed` (the kind and the SMTP status only: never the
 * message, which is the user's). A full queue drops the new mail the same way.
 */
export function createSecurityNotifier(deps: NotifierDeps, options: NotifierOptions): SecurityNotifier {
  const { logger } = deps;
  const { config } = options;
  const transport = options.transport ?? createMailSender(options.smtp);
  const backoffMs = options.backoffMs ?? 2000;
  const queue: Job[] = [];
  let running = 0;
  let closed = false;
  const idle: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();

  /** Resolves once the failure is audited (the audit log never rejects). */
  const failed = async (job: Job, reason: string, attempts: number, status?: string | number): Promise<void> => {
    logger.warn({ username: job.username, notification: job.notice.kind, reason, attempts, status }, 'security notification not sent');
    await deps
      .audit()
      ?.record({ kind: 'notification.failed', subject: job.username, actor: 'system', result: 'failure', reason, details: { kind: job.notice.kind, attempts, status } });
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      timers.add(timer);
    });

  async function deliver(job: Job): Promise<void> {
    const user = (await deps.directory.lookupUser?.(job.username).catch(() => undefined)) ?? deps.directory.findUser(job.username);
    if (!user?.email) {
      logger.info({ username: job.username, notification: job.notice.kind }, 'security notification skipped: no address on file');
      return;
    }
    if (!isDeliverableAddress(user.email)) return failed(job, 'bad-address', 0);
    const locale = (await deps.browsers?.localeOf(job.username).catch(() => undefined)) ?? config.default_locale;
    const ua = job.userAgent ? describeUserAgent(job.userAgent) : undefined;
    const mail = renderNotification(job.notice.kind, locale, {
      displayName: user.displayName || user.username,
      at: job.at,
      clientIp: job.clientIp,
      browser: ua ? `${ua.browser} · ${ua.os}` : undefined,
      factor: job.notice.factor,
      methodsUrl: options.methodsUrl,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await transport.send({ to: user.email, kind: job.notice.kind, ...mail });
        logger.info({ username: job.username, notification: job.notice.kind, attempts: attempt }, 'security notification sent');
        return;
      } catch (error) {
        const status = (error as { responseCode?: number; code?: string }).responseCode ?? (error as { code?: string }).code;
        if (closed || attempt > config.retries) return failed(job, 'smtp', attempt, status);
        await pause(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  function pump(): void {
    while (running < CONCURRENCY && queue.length > 0 && !closed) {
      const job = queue.shift()!;
      running++;
      deliver(job)
        .catch((error) => logger.error({ err: (error as Error).message, notification: job.notice.kind }, 'security notification failed'))
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && (queue.length === 0 || closed)) for (const resolve of idle.splice(0)) resolve();
  }

  return {
    notice(input) {
      try {
        const notice = notificationOf(input);
        if (!notice || !config.kinds[notice.kind] || closed) return;
        const job: Job = { notice, username: input.subject!, at: deps.now(), clientIp: input.clientIp, userAgent: input.userAgent };
        if (queue.length >= config.queue_size) return void failed(job, 'queue-full', 0);
        queue.push(job);
        pump();
      } catch (error) {
        logger.error({ err: (error as Error).message }, 'security notification could not be queued');
      }
    },
    flush: () =>
      new Promise<void>((resolve) => {
        if (running === 0 && queue.length === 0) return resolve();
        idle.push(resolve);
      }),
    close() {
      closed = true;
      if (queue.length > 0) logger.warn({ dropped: queue.length }, 'security notifications not sent at shutdown');
      queue.length = 0;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      transport.close();
      for (const resolve of idle.splice(0)) resolve();
    },
  };
}
