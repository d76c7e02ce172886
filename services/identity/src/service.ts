import { fileURLToPath } from 'node:url';
import { defineService } from '@conduit/runtime';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import { buildApp } from './app.js';
import { forgetRevokedSessions } from './bus/session-revocations.js';
import { serveSettingsRpc } from './bus/settings-rpc.js';
import { serveTeamInviteRpc } from './bus/team-invite-rpc.js';
import { serveTeamMembershipRpc } from './bus/team-membership-rpc.js';
import { serveUsageRpc } from './bus/usage-rpc.js';
import type { IdentityDeps } from './deps.js';
import { createMailer } from './domain/mail/mailer.js';
import { LoginThrottle } from './domain/passwords/login-throttle.js';
import { PasswordHasher } from './domain/passwords/password-hasher.js';
import { LiveSessionCache } from './domain/sessions/live-session.js';
import { loadSigningKeys } from './domain/tokens/signing-keys.js';
import { type IdentityEnv, loadEnv } from './env.js';
import { identityJobs } from './jobs/catalog.js';
import { rollUsagePeriodsJob, scheduleUsageRoll } from './jobs/processors/roll-usage-periods.js';

export const SCHEMA = 'identity';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Identity: accounts, sign-in, organizations, teams, roles and plans over HTTP, usage reservations
 * over NATS for the other services, and a worker that rolls usage periods on USAGE_ROLL_CRON.
 */
export const identityService = defineService<IdentityEnv, IdentityDeps, typeof identityJobs>({
  name: 'identity',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  redis: {},
  listen: (env) => ({ port: env.IDENTITY_PORT, host: env.IDENTITY_HOST }),
  jobs: () => identityJobs,
  deps: async ({ env, log, database, redis, bus, onClose }) => {
    const mailer = createMailer(env.MAIL_URL, env.MAIL_FROM);
    onClose('mailer', () => mailer.close());
    const liveSessions = new LiveSessionCache();
    const revocations = forgetRevokedSessions(bus, liveSessions, log);
    onClose('session revocations', () => revocations.stop());
    return {
      env,
      db: database.db,
      redis,
      log,
      keys: await loadSigningKeys(
        database.db,
        new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
        env.SIGNING_KEY_ROTATE_AFTER,
      ),
      hasher: new PasswordHasher({
        memoryKib: env.ARGON2_MEMORY_KIB,
        iterations: env.ARGON2_ITERATIONS,
        parallelism: env.ARGON2_PARALLELISM,
        concurrency: env.HASH_CONCURRENCY,
        queueLimit: env.HASH_QUEUE_LIMIT,
      }),
      throttle: new LoginThrottle(redis, {
        perAccountAndIp: env.LOGIN_FAILURES_PER_ACCOUNT_AND_IP,
        perIp: env.LOGIN_FAILURES_PER_IP,
        windowMs: env.LOGIN_FAILURE_WINDOW,
        perAccount: env.LOGIN_FAILURES_PER_ACCOUNT,
        accountWindowMs: env.LOGIN_ACCOUNT_BRAKE_WINDOW,
      }),
      mailer,
      liveSessions,
    };
  },
  app: buildApp,
  // Other services reserve usage and read the global settings over NATS (queue group `identity`:
  // one replica answers each call).
  rpc: (deps, bus) => [
    serveUsageRpc(bus, deps.db, deps.log),
    serveSettingsRpc(bus, deps.db, deps.log),
    serveTeamMembershipRpc(bus, deps.db, deps.log),
    serveTeamInviteRpc(bus, deps),
  ],
  worker: {
    schedule: (jobs, env) => scheduleUsageRoll(jobs, env.USAGE_ROLL_CRON),
    handlers: (deps) => ({ 'roll-usage-periods': () => rollUsagePeriodsJob(deps) }),
  },
});
