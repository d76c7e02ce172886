import { appendEvent } from '@conduit/bus';
import { type EventData, identityEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { outbox } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { builtInMail } from './built-in-mails.js';

export type IdentityMail = EventData<typeof identityEvents.mailRequested>;

/**
 * Queues one of identity's mails in the caller's transaction, and answers what to do once it has
 * committed. With MAIL_DELIVERY=email-service the mail is identity.mail.requested in the outbox (it
 * commits with the token it carries, and the email service renders its operators' template);
 * with `direct` the built-in text is sent through MAIL_URL after the commit, in the background,
 * so the answer does not wait for (or reveal anything through) the mail server.
 */
export async function queueIdentityMail(
  deps: IdentityDeps,
  tx: Transaction,
  mail: IdentityMail,
): Promise<() => void> {
  if (deps.env.MAIL_DELIVERY === 'email-service') {
    await appendEvent(tx, outbox, identityEvents.mailRequested, mail, null);
    return () => {};
  }
  const what = mail.template === 'identity.invite' ? 'invite' : 'one-time token';
  return () => {
    deps.mailer
      .send({ to: mail.to, ...builtInMail(mail) })
      .catch((error) =>
        deps.log.error({ err: error, template: mail.template }, `could not send ${what} mail`),
      );
  };
}
