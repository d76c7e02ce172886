import type { IdentityMail } from './identity-mail.js';

/**
 * Identity's mails as it sends them itself (MAIL_DELIVERY=direct). The email service seeds the
 * same words as its system templates (email-sync migration 0003), where operators change them;
 * the variables named here are the ones those templates can use.
 */
export function builtInMail({ template, variables: v }: IdentityMail): { subject: string; text: string } {
  switch (template) {
    case 'identity.password_reset':
      return {
        subject: 'Reset your Conduit password',
        text:
          `Someone (hopefully you) asked to reset the password of this Conduit account.\n\n` +
          `Reset token: ${v.token}\n` +
          `Or open: ${v.resetUrl}\n\n` +
          `It works once, for ${v.minutes} minutes. If you did not ask for it, ignore this message.\n`,
      };
    case 'identity.login_link':
      return {
        subject: 'Your Conduit sign-in link',
        text:
          `Sign-in token: ${v.token}\n` +
          `Or open: ${v.loginUrl}\n\n` +
          `It works once, for ${v.minutes} minutes. If you did not ask for it, ignore this message.\n`,
      };
    case 'identity.invite':
      return {
        subject: `You are invited to ${v.place} on Conduit`,
        text:
          `You are invited to join ${v.place} on Conduit as ${v.role}.\n\n` +
          `Invite token: ${v.token}\n` +
          `Or open: ${v.acceptUrl}\n\n` +
          `Sign in (or register with this email address) and accept it within 7 days.\n`,
      };
  }
}
