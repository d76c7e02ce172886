-- Identity's mails as system templates (key set, no owner): everyone with email.read reads them,
-- only the platform admin changes them. Identity asks for them by key (identity.mail.requested)
-- when MAIL_DELIVERY=email-service; the words are those identity sends itself when it delivers
-- directly. A template an operator changed is kept as it is when this runs again. The seed is the
-- platform's (row-level security lets only the platform admin write system templates), for this
-- transaction only.
select set_config('app.platform_admin', 'true', true);
--> statement-breakpoint
insert into email.email_templates (id, key, name, subject, text_body, sample_values)
values
  ('0193a5c0-0000-7000-8000-000000000001', 'identity.password_reset', 'Password reset',
   'Reset your Conduit password',
   E'Someone (hopefully you) asked to reset the password of this Conduit account.\n\nReset token: {{token}}\nOr open: {{resetUrl}}\n\nIt works once, for {{minutes}} minutes. If you did not ask for it, ignore this message.\n',
   '{"token": "sample-token", "resetUrl": "https://conduit.example/reset-password?token=sample-token", "minutes": "30"}'),
  ('0193a5c0-0000-7000-8000-000000000002', 'identity.login_link', 'Sign-in link',
   'Your Conduit sign-in link',
   E'Sign-in token: {{token}}\nOr open: {{loginUrl}}\n\nIt works once, for {{minutes}} minutes. If you did not ask for it, ignore this message.\n',
   '{"token": "sample-token", "loginUrl": "https://conduit.example/login?token=sample-token", "minutes": "15"}'),
  ('0193a5c0-0000-7000-8000-000000000003', 'identity.invite', 'Invitation',
   'You are invited to {{place}} on Conduit',
   E'You are invited to join {{place}} on Conduit as {{role}}.\n\nInvite token: {{token}}\nOr open: {{acceptUrl}}\n\nSign in (or register with this email address) and accept it within 7 days.\n',
   '{"token": "sample-token", "acceptUrl": "https://conduit.example/invites/accept?token=sample-token", "place": "\"Acme\"", "role": "member"}')
on conflict (key) where key is not null do nothing;
--> statement-breakpoint
select set_config('app.platform_admin', '', true);
