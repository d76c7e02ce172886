import { existsSync } from 'node:fs';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdOf, startDovecot, startSmtpServer, type TestDovecot } from '../../src/mail-servers.js';

const ana = { user: 'ana@example.test', password: 'ana-secret' };
const bob = { user: 'bob@example.test', password: 'bob-secret' };

function rawMessage(subject: string, messageId = `<${subject.replace(/\W/g, '')}@example.test>`): string {
  return [
    'From: Bob <bob@example.test>',
    'To: Ana <ana@example.test>',
    `Subject: ${subject}`,
    `Message-ID: ${messageId}`,
    'Date: Tue, 14 Nov 2023 22:13:20 +0000',
    '',
    `Body of ${subject}`,
    '',
  ].join('\r\n');
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('test Dovecot', () => {
  let dovecot: TestDovecot;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: [ana] });
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('serves plain IMAP with CONDSTORE, QRESYNC, IDLE and the special-use folders', async () => {
    const imap = await dovecot.client(ana.user);
    try {
      for (const capability of ['CONDSTORE', 'QRESYNC', 'IDLE', 'UIDPLUS']) {
        expect(imap.capabilities.has(capability), capability).toBe(true);
      }
      const folders = await imap.list();
      const specialUse = Object.fromEntries(folders.map((box) => [box.path, box.specialUse]));
      expect(specialUse).toMatchObject({
        INBOX: '\\Inbox',
        Sent: '\\Sent',
        Drafts: '\\Drafts',
        Trash: '\\Trash',
        Junk: '\\Junk',
      });
    } finally {
      await imap.logout();
    }
  });

  it('delivers by APPEND with flags and into a new folder, and the messages can be fetched', async () => {
    const first = await dovecot.deliver(ana.user, rawMessage('first'));
    const second = await dovecot.deliver(ana.user, rawMessage('second'), { flags: ['\\Seen'] });
    expect(second.uid).toBeGreaterThan(first.uid);
    const archived = await dovecot.deliver(ana.user, rawMessage('archived'), { folder: 'Archive/2023' });
    expect(archived.uid).toBeGreaterThan(0);

    const imap = await dovecot.client(ana.user);
    try {
      const lock = await imap.getMailboxLock('INBOX');
      try {
        const messages = [];
        for await (const message of imap.fetch('1:*', { uid: true, envelope: true, flags: true })) {
          messages.push({
            uid: message.uid,
            subject: message.envelope?.subject,
            seen: message.flags?.has('\\Seen'),
          });
        }
        expect(messages).toEqual([
          { uid: first.uid, subject: 'first', seen: false },
          { uid: second.uid, subject: 'second', seen: true },
        ]);
      } finally {
        lock.release();
      }
      expect(await imap.status('Archive/2023', { messages: true })).toMatchObject({ messages: 1 });
    } finally {
      await imap.logout();
    }
  });

  it('adds a user that can log in at once, with a Maildir where the config says', async () => {
    await dovecot.addUser(bob);
    expect(dovecot.hasUser(bob.user)).toBe(true);
    await dovecot.deliver(bob.user, rawMessage('for bob'));
    expect(
      existsSync(`${dovecot.maildir(bob.user)}/new`) || existsSync(`${dovecot.maildir(bob.user)}/cur`),
    ).toBe(true);
    await expect(dovecot.client('nobody@example.test')).rejects.toThrow();
  });

  it('refuses a wrong password', async () => {
    const { ImapFlow } = await import('imapflow');
    const imap = new ImapFlow({
      host: dovecot.host,
      port: dovecot.imapPort,
      secure: false,
      auth: { user: ana.user, pass: 'wrong' },
      logger: false,
    });
    await expect(imap.connect()).rejects.toMatchObject({ authenticationFailed: true });
  });

  it('tells an IDLE client of a delivery', async () => {
    const imap = await dovecot.client(ana.user);
    try {
      const lock = await imap.getMailboxLock('INBOX');
      const counts: number[] = [];
      imap.on('exists', (update: { count: number }) => counts.push(update.count));
      const before = imap.mailbox ? imap.mailbox.exists : 0;
      // imapflow IDLEs by itself while the connection has nothing else to do.
      const idling = imap.idle();
      await dovecot.deliver(ana.user, rawMessage('while idle'));
      const count = await waitFor(() => counts.find((value) => value > before));
      expect(count).toBe(before + 1);
      lock.release();
      await imap.noop();
      await idling.catch(() => undefined);
    } finally {
      await imap.logout();
    }
  });

  it('gives a folder a new UIDVALIDITY', async () => {
    await dovecot.deliver(ana.user, rawMessage('in reset folder'), { folder: 'Reset' });
    const before = await dovecot.client(ana.user);
    const statusBefore = await before.status('Reset', { uidValidity: true });
    const validityBefore = statusBefore ? statusBefore.uidValidity : undefined;
    expect(validityBefore).toBeDefined();
    await before.logout();
    await dovecot.resetUidValidity(ana.user, 'Reset');
    const after = await dovecot.client(ana.user);
    try {
      const status = await after.status('Reset', { uidValidity: true, messages: true });
      if (!status) throw new Error('no STATUS answer for Reset');
      expect(status.messages).toBe(1);
      expect(status.uidValidity).toBeDefined();
      expect(status.uidValidity).not.toBe(validityBefore);
    } finally {
      await after.logout();
    }
  });
});

describe('test SMTP server', () => {
  let dovecot: TestDovecot;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: [ana, bob] });
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('checks AUTH, keeps what it accepts and delivers it to the Dovecot user', async () => {
    const smtp = await startSmtpServer({ users: [bob], deliverTo: dovecot });
    try {
      const wrong = createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        auth: { user: bob.user, pass: 'x' },
      });
      await expect(wrong.sendMail({ from: bob.user, to: ana.user, text: 'no' })).rejects.toMatchObject({
        responseCode: 535,
      });

      const transport = createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: false,
        auth: { user: bob.user, pass: bob.password },
      });
      const sent = await transport.sendMail({
        from: bob.user,
        to: [ana.user, 'elsewhere@example.org'],
        subject: 'hello over smtp',
        text: 'hi',
        messageId: '<fixed-1@example.test>',
      });
      expect(sent.accepted).toEqual([ana.user, 'elsewhere@example.org']);
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]).toMatchObject({
        envelope: { from: bob.user, to: [ana.user, 'elsewhere@example.org'] },
        messageId: 'fixed-1@example.test',
        user: bob.user,
      });

      const imap = await dovecot.client(ana.user);
      try {
        const lock = await imap.getMailboxLock('INBOX');
        try {
          const found = await imap.search(
            { header: { 'message-id': 'fixed-1@example.test' } },
            { uid: true },
          );
          expect(found).toHaveLength(1);
        } finally {
          lock.release();
        }
      } finally {
        await imap.logout();
      }
    } finally {
      await smtp.stop();
    }
  });

  it('drops the connection after DATA: the message is kept, the sender hears no 250, a retry is one unique message', async () => {
    const smtp = await startSmtpServer();
    try {
      smtp.dropAfterData(1);
      const transport = createTransport({ host: smtp.host, port: smtp.port, secure: false });
      const message = {
        from: bob.user,
        to: ana.user,
        subject: 'retry me',
        text: 'once',
        messageId: '<retry-1@example.test>',
      };
      await expect(transport.sendMail(message)).rejects.toThrow();
      expect(smtp.received).toHaveLength(1);

      await transport.sendMail(message);
      await transport.sendMail({ ...message, messageId: '<other@example.test>' });
      expect(smtp.received.map((mail) => mail.messageId)).toEqual([
        'retry-1@example.test',
        'retry-1@example.test',
        'other@example.test',
      ]);
      expect(smtp.uniqueMessages().map((mail) => mail.messageId)).toEqual([
        'retry-1@example.test',
        'other@example.test',
      ]);
    } finally {
      await smtp.stop();
    }
  });

  it('rejects the next messages with the code asked for, then accepts again', async () => {
    const smtp = await startSmtpServer();
    try {
      smtp.rejectNext(1);
      smtp.rejectNext(2, 451);
      const transport = createTransport({ host: smtp.host, port: smtp.port, secure: false });
      const message = { from: bob.user, to: ana.user, subject: 'refused', text: 'no' };
      await expect(transport.sendMail(message)).rejects.toMatchObject({ responseCode: 451 });
      await expect(transport.sendMail(message)).rejects.toMatchObject({ responseCode: 451 });
      await transport.sendMail(message);
      expect(smtp.received).toHaveLength(1);
    } finally {
      await smtp.stop();
    }
  });

  it('reads a folded Message-ID header', () => {
    expect(messageIdOf(Buffer.from('Subject: x\r\nMessage-ID:\r\n <folded@example.test>\r\n\r\nbody'))).toBe(
      'folded@example.test',
    );
    expect(messageIdOf(Buffer.from('Subject: x\r\n\r\nMessage-ID: <in-body@example.test>'))).toBeUndefined();
  });
});
