import { withActor } from '@conduit/db';
import type { BackgroundTask } from '@conduit/runtime';
import { eq } from 'drizzle-orm';
import type { ImapFlow } from 'imapflow';
import { userEmailAccounts } from '../db/schema.js';
import type { MailDeps } from '../deps.js';
import { accountServers } from '../domain/accounts/account-servers.js';
import { syncJobId } from '../jobs/catalog.js';
import { closeImap, openImap } from '../mail/imap-client.js';
import { mailFailureOf } from '../mail/mail-server.js';
import { clearIdleLive, markIdleLive } from './idle-presence.js';
import { accountOwnerContext, activeAccountVersions } from './owner-context.js';
import { backoffAfter } from './sync-account.js';

/** How often the set of watched accounts is brought in line with the active ones. */
const REFRESH_MS = 5_000;
/** A worker holds an account's IDLE under a Redis lease, so two workers never both watch it. */
const LEASE_MS = 60_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * IDLE on the Inbox of one account: new mail, flag changes and expunges there queue an
 * Inbox-only sync at once (the sync stores and announces; IDLE only wakes it). IDLE is broken
 * and re-issued with a NOOP every IDLE_RENEW (RFC 2177 allows servers to drop an IDLE after 30
 * minutes), which is also the liveness check; a dropped connection is reopened with backoff.
 * Ends by itself when the login is refused (the sync records `auth_error`).
 */
class InboxWatch {
  private readonly abort = new AbortController();
  private client: ImapFlow | undefined;
  readonly done: Promise<void>;
  ended = false;
  /** In IDLE on the Inbox (or between two IDLEs of one connection): the poll may wait. */
  live = false;
  configVersion: number | undefined;

  constructor(
    private readonly deps: MailDeps,
    readonly accountId: string,
    private readonly leaseToken: string,
  ) {
    this.done = this.run()
      .catch((error: unknown) =>
        deps.log.warn({ accountId, err: { message: (error as Error).message } }, 'imap idle stopped'),
      )
      .finally(() => {
        this.ended = true;
      });
  }

  get stopped() {
    return this.abort.signal.aborted;
  }

  async stop() {
    this.abort.abort();
    if (this.client) this.client.close();
    await this.done;
    await this.deps.redis
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1,
        `idle-lease:${this.accountId}`,
        this.leaseToken,
      )
      .catch(() => {});
  }

  private wake(reason: string) {
    void this.deps.jobs
      .add(
        'sync-account',
        { accountId: this.accountId, scope: 'inbox' },
        { jobId: syncJobId(this.accountId, `idle-${reason}-${Date.now()}`) },
      )
      .catch((error: unknown) =>
        this.deps.log.warn({ err: { message: (error as Error).message } }, 'could not queue an idle sync'),
      );
  }

  private async run() {
    const { deps, accountId } = this;
    let failures = 0;
    while (!this.stopped) {
      const ctx = await accountOwnerContext(deps.db, accountId);
      if (!ctx) return;
      const [account] = await withActor(deps.db, ctx, (tx) =>
        tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, accountId)),
      );
      if (!account?.active || account.syncState === 'auth_error') return;
      this.configVersion = account.configVersion;
      try {
        this.client = await openImap(deps, accountServers(deps.box, account).imap, {
          label: `idle ${accountId}`,
        });
      } catch (error) {
        if (mailFailureOf(error).kind !== 'connect') {
          this.wake('refused'); // the sync records why
          return;
        }
        failures++;
        await sleep(backoffAfter(deps.env.CONNECT_BACKOFF, failures), this.abort.signal);
        continue;
      }
      failures = 0;
      const client = this.client;
      client.on('exists', (event: { count: number; prevCount: number }) => {
        if (event.count > event.prevCount) this.wake('exists');
      });
      client.on('expunge', () => this.wake('expunge'));
      client.on('flags', () => this.wake('flags'));
      const renew = setInterval(() => {
        // Breaks IDLE, checks the connection is alive, and the loop below issues IDLE again.
        const alive = client.noop();
        const timeout = new Promise((_, reject) =>
          setTimeout(() => reject(new Error('no answer to NOOP')), deps.env.MAIL_TIMEOUT).unref(),
        );
        Promise.race([alive, timeout]).catch(() => client.close());
      }, deps.env.IDLE_RENEW);
      try {
        await client.mailboxOpen('INBOX');
        this.live = true;
        await markIdleLive(deps.redis, [accountId]);
        // Mail that arrived while nobody was watching.
        this.wake('opened');
        while (!this.stopped && client.usable) await client.idle();
      } catch (error) {
        if (!this.stopped)
          deps.log.debug({ accountId, err: { message: (error as Error).message } }, 'imap idle interrupted');
      } finally {
        clearInterval(renew);
        // Polled at the normal rate again from the next poll on.
        this.live = false;
        await clearIdleLive(deps.redis, accountId).catch(() => {});
        await closeImap(client);
      }
      if (!this.stopped) await sleep(deps.env.CONNECT_BACKOFF, this.abort.signal);
    }
  }
}

/**
 * The worker's IDLE connections: one per active account whose Redis lease this worker holds,
 * started and stopped as accounts come, go, change servers or credentials.
 */
export const idleWatcher: BackgroundTask<MailDeps> = {
  name: 'imap idle',
  async start(deps) {
    if (!deps.env.IDLE_ENABLED) return { stop: async () => {} };
    const watches = new Map<string, InboxWatch>();
    const restAfter = new Map<string, number>();
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    let closing = false;

    const refresh = async () => {
      const active = await activeAccountVersions(deps.db);
      const held = [...watches.keys()];
      const renewals = held.length
        ? ((await held
            .reduce(
              (batch, accountId) => batch.pexpire(`idle-lease:${accountId}`, LEASE_MS),
              deps.redis.pipeline(),
            )
            .exec()) ?? [])
        : [];
      for (const [i, accountId] of held.entries()) {
        const watch = watches.get(accountId)!;
        const renewed = renewals[i]?.[1];
        const version = active.get(accountId);
        const changed = watch.configVersion !== undefined && version !== watch.configVersion;
        if (version === undefined || changed || watch.ended || renewed === 0) {
          watches.delete(accountId);
          // One that ended by itself (a refused login) is not retried before the sync has had its say.
          if (watch.ended) restAfter.set(accountId, Date.now() + 60_000);
          await watch.stop();
        }
      }
      await markIdleLive(
        deps.redis,
        [...watches.values()].filter((watch) => watch.live).map((watch) => watch.accountId),
      );
      for (const accountId of active.keys()) {
        if (closing || watches.has(accountId) || (restAfter.get(accountId) ?? 0) > Date.now()) continue;
        if ((await deps.redis.set(`idle-lease:${accountId}`, token, 'PX', LEASE_MS, 'NX')) !== 'OK') continue;
        watches.set(accountId, new InboxWatch(deps, accountId, token));
      }
    };

    let running = Promise.resolve();
    const timer = setInterval(() => {
      running = running
        .then(refresh)
        .catch((error: unknown) =>
          deps.log.warn({ err: { message: (error as Error).message } }, 'imap idle refresh failed'),
        );
    }, REFRESH_MS);
    running = refresh().catch(() => {});
    return {
      async stop() {
        closing = true;
        clearInterval(timer);
        await running;
        await Promise.all([...watches.values()].map((watch) => watch.stop()));
        watches.clear();
      },
    };
  },
};
