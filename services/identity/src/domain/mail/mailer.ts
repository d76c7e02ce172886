import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTransport } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * Sends identity's own mail (password resets, login links). `smtp://` and `smtps://` URLs go to a
 * mail server; `file://<dir>` writes each message as an .eml file, so a developer can follow the
 * flows without one.
 */
export function createMailer(url: string, from: string): Mailer {
  if (url.startsWith('file://')) {
    const dir = resolve(url.slice('file://'.length));
    const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return {
      async send(mail) {
        const info = await transport.sendMail({ from, ...mail });
        await mkdir(dir, { recursive: true });
        await writeFile(
          join(dir, `${Date.now()}-${mail.to.replace(/[^\w.@-]/g, '_')}.eml`),
          info.message as Buffer,
          { mode: 0o600 },
        );
      },
      close: () => transport.close(),
    };
  }
  const transport = createTransport(url);
  return {
    async send(mail) {
      await transport.sendMail({ from, ...mail });
    },
    close: () => transport.close(),
  };
}
