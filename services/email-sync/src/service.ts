import { fileURLToPath } from 'node:url';
import { createAddressCheck } from '@conduit/outbound-http';
import { defineService } from '@conduit/runtime';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { buildApp } from './app.js';
import { serveBotDraftRpc } from './bus/bot-draft-rpc.js';
import {
  automationMailConsumer,
  identityMailConsumer,
  mailRequestedConsumer,
  mailRequestStreams,
} from './bus/mail-requested.js';
import { metricsMailConsumer } from './bus/metrics-mail-requested.js';
import type { MailDeps } from './deps.js';
import { loadEnv, type MailEnv } from './env.js';
import { type MailJobs, mailJobs } from './jobs/catalog.js';
import { sendDueJob, sendOutboundJob, settleExhaustedSend } from './jobs/processors/send-jobs.js';
import { indexMessagesJob, syncAccountJob, syncAllJob } from './jobs/processors/sync-jobs.js';
import { idleWatcher } from './sync/idle-watcher.js';

export const SCHEMA = 'email';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Email: mail accounts over HTTP, a worker that keeps a copy of each mailbox in Postgres (folders,
 * messages, flags; IDLE on the Inbox of each active account), sends mail and renders templates.
 */
export const mailService = defineService<MailEnv, MailDeps, MailJobs>({
  name: 'email-sync',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  redis: {},
  listen: (env) => ({ port: env.MAIL_PORT, host: env.MAIL_HOST }),
  jobs: (env) => mailJobs({ backoffMs: env.CONNECT_BACKOFF }),
  deps: ({ env, log, database, bus, redis, jobs }) => ({
    env,
    db: database.db,
    log,
    bus,
    redis,
    jobs,
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    mailHosts: createAddressCheck(env.MAIL_ALLOWED_HOSTS),
  }),
  app: buildApp,
  consumers: [mailRequestedConsumer, automationMailConsumer, identityMailConsumer, metricsMailConsumer],
  background: [mailRequestStreams, idleWatcher],
  // A bot script's CREATE DRAFT asks for a draft in the bot's mailbox and waits for its id.
  rpc: (deps, bus) => [serveBotDraftRpc(bus, deps)],
  worker: {
    handlers: (deps) => ({
      'sync-account': (payload) => syncAccountJob(deps, payload.accountId, payload.scope),
      'index-messages': (payload) => indexMessagesJob(deps, payload.accountId),
      'sync-all': () => syncAllJob(deps),
      'send-outbound': (payload, job) => sendOutboundJob(deps, payload.outboundId, job),
      'send-due': () => sendDueJob(deps),
    }),
    schedule: async (jobs, env) => {
      await jobs.schedule('sync-all', 'sync-all', {}, { everyMs: env.SYNC_EVERY });
      await jobs.schedule('send-due', 'send-due', {}, { everyMs: 60_000 });
    },
    exhausted: (deps, job) =>
      job.name === 'send-outbound' ? settleExhaustedSend(deps, job) : Promise.resolve(),
    settings: (env) => ({
      concurrency: env.SYNC_CONCURRENCY,
      lockDurationMs: env.JOB_LOCK_DURATION,
      stalledIntervalMs: env.JOB_STALLED_INTERVAL,
    }),
  },
});
