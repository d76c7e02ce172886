// Real mail servers for tests and benchmarks: Debian's Dovecot started from a config in a temp
// folder on a free port, and an SMTP endpoint built on the `smtp-server` package that can drop a
// connection after DATA or refuse a message, as a flaky provider does. Nothing here mocks IMAP
// or SMTP: the code under test talks to them over TCP.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface MailUser {
  /** The full address, e.g. 'ana@example.test': it is also the IMAP login. */
  user: string;
  password: string;
}

export interface TestDovecot {
  host: '127.0.0.1';
  /** Plain IMAP (no TLS): the service under test must allow security 'none' for it. */
  imapPort: number;
  /** Adds a user to the passwd-file; the user can log in once this resolves (up to a second). */
  addUser(user: MailUser): Promise<void>;
  hasUser(user: string): boolean;
  /** IMAP APPEND as that user (the folder is created when missing); the new message's UID. */
  deliver(
    user: string,
    raw: string | Buffer,
    options?: { folder?: string; flags?: string[] },
  ): Promise<{ uid: number }>;
  /** A connected, logged-in ImapFlow for direct changes in tests; the caller logs out. */
  client(user: string): Promise<ImapFlow>;
  /** Gives the folder a new UIDVALIDITY (doveadm), as a server that rebuilt its index. */
  resetUidValidity(user: string, folder: string): Promise<void>;
  /** The user's Maildir (its Inbox is cur/ new/ tmp/ right there), for generated mailboxes. */
  maildir(user: string): string;
  /** Gives what was written under `maildir(user)` to the user Dovecot reads mail as. */
  ownMaildir(user: string): Promise<void>;
  /** Dovecot's own log so far, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

const DOVECOT = process.env.DOVECOT_BIN ?? '/usr/sbin/dovecot';
const DOVEADM = process.env.DOVEADM_BIN ?? '/usr/bin/doveadm';

/** Children still running when the test process exits are killed with it. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Resolves once the port answers with an IMAP greeting. */
async function waitForGreeting(port: number, exited: () => boolean, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (exited()) throw new Error('dovecot exited while starting');
    const greeted = await new Promise<boolean>((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.setTimeout(2_000);
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('* OK'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (greeted) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dovecot did not answer on port ${port}`);
}

/**
 * Who owns the mail. Dovecot never accesses mail as root, so as root (tests and CI) it is Debian's
 * `mail` user (else `nobody`); as anyone else, that user, since Dovecot cannot switch users.
 */
function mailOwner(): { uid: number; gid: number } {
  const self = userInfo();
  if (self.uid !== 0) return { uid: self.uid, gid: self.gid };
  const entries = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'));
  const entry =
    entries.find((fields) => fields[0] === 'mail') ?? entries.find((fields) => fields[0] === 'nobody');
  if (!entry) throw new Error('no `mail` or `nobody` user for Dovecot to own the mail');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/**
 * Dovecot 2.3's own CAPABILITY after login; `imap_capability` replaces it, so a server without
 * some of these extensions is this list without them.
 */
const DOVECOT_CAPABILITIES = [
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY',
  'THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL',
  'CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE',
  'QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE',
  'SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY',
  'SPECIAL-USE',
]
  .join(' ')
  .split(' ');

/** Extensions a test can take away from the server (it then neither announces nor enables them). */
export type OptionalImapExtension = 'CONDSTORE' | 'QRESYNC';

function dovecotConfig(dir: string, port: number, without: OptionalImapExtension[]): string {
  const { uid, gid } = mailOwner();
  const { username } = userInfo();
  // As root, login and auth processes drop to Debian's dovenull and dovecot users; as anyone else
  // every process runs as that user.
  const serviceUsers =
    userInfo().uid === 0 ? '' : `default_login_user = ${username}\ndefault_internal_user = ${username}\n`;
  return `# Written by @conduit/testing for one test run.
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = conduit-test-${port}
log_path = ${dir}/dovecot.log
${serviceUsers}protocols = imap
${without.length ? `imap_capability = ${DOVECOT_CAPABILITIES.filter((c) => !without.includes(c as OptionalImapExtension)).join(' ')}\n` : ''}listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
first_valid_gid = 0
mail_uid = ${uid}
mail_gid = ${gid}
mail_location = maildir:${dir}/mail/%u
mail_fsync = never
mail_max_userip_connections = 1000
# The benchmark keeps 200 accounts connected from one address.
default_process_limit = 1000
default_client_limit = 4000
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
  default_fields = uid=${uid} gid=${gid} home=${dir}/home/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
}

/**
 * Starts Dovecot in the foreground with its own config, base_dir and passwd-file in a temp folder,
 * plain IMAP on a free port of 127.0.0.1 (CONDSTORE, QRESYNC and IDLE are Dovecot's defaults), and
 * Drafts, Sent, Trash and Junk created with their special use. `without` takes CONDSTORE and/or
 * QRESYNC away (`imap_capability` without them), as an older or simpler server has neither.
 */
export async function startDovecot(
  options: { users?: MailUser[]; without?: OptionalImapExtension[] } = {},
): Promise<TestDovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'conduit-dovecot-'));
  // The auth process (Debian's `dovecot` user when started as root) reads the passwd-file, and
  // the mail processes create each user's Maildir and home.
  chmodSync(dir, 0o755);
  const owner = mailOwner();
  for (const folder of ['mail', 'home']) {
    mkdirSync(`${dir}/${folder}`);
    chownSync(`${dir}/${folder}`, owner.uid, owner.gid);
  }
  const passwords = new Map<string, string>();
  const writePasswd = () => {
    const lines = [...passwords].map(([user, password]) => `${user}:{PLAIN}${password}::::::`);
    // A rename gives the file a new inode and size: Dovecot re-reads it on the next lookup.
    writeFileSync(`${dir}/passwd.next`, `${lines.join('\n')}\n`, { mode: 0o644 });
    renameSync(`${dir}/passwd.next`, `${dir}/passwd`);
  };
  for (const user of options.users ?? []) passwords.set(user.user, user.password);
  writePasswd();

  let child: ChildProcess | undefined;
  let port = 0;
  let exited = false;
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    writeFileSync(`${dir}/dovecot.conf`, dovecotConfig(dir, port, options.without ?? []));
    exited = false;
    const started = spawn(DOVECOT, ['-F', '-c', `${dir}/dovecot.conf`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    started.once('exit', () => {
      exited = true;
      children.delete(started);
    });
    children.add(started);
    try {
      await waitForGreeting(port, () => exited, Date.now() + 20_000);
      child = started;
    } catch (error) {
      started.kill('SIGKILL');
      // Another process may have taken the port between the probe and Dovecot's bind: try anew.
      if (attempt === 2) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${(error as Error).message}\n${stderr}${readLog(dir)}`);
      }
    }
  }

  const client = async (user: string): Promise<ImapFlow> => {
    const password = passwords.get(user);
    if (password === undefined) throw new Error(`${user} is not a user of this Dovecot`);
    const imap = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: password },
      logger: false,
    });
    await imap.connect();
    return imap;
  };

  return {
    host: '127.0.0.1',
    imapPort: port,
    async addUser(user) {
      passwords.set(user.user, user.password);
      writePasswd();
      // Dovecot checks the passwd-file at most once per second of its clock: a login later in
      // the second it last checked would not see the new user yet.
      await new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));
    },
    hasUser: (user) => passwords.has(user),
    async deliver(user, raw, deliverOptions = {}) {
      const folder = deliverOptions.folder ?? 'INBOX';
      const imap = await client(user);
      try {
        if (folder !== 'INBOX') {
          const exists = (await imap.list()).some((box) => box.path === folder);
          if (!exists) await imap.mailboxCreate(folder);
        }
        const appended = await imap.append(folder, raw, deliverOptions.flags ?? []);
        if (appended === false || !appended.uid) throw new Error(`APPEND to ${folder} gave no UID`);
        return { uid: appended.uid };
      } finally {
        await imap.logout().catch(() => undefined);
      }
    },
    client,
    async resetUidValidity(user, folder) {
      const uidValidity = String(Math.floor(Date.now() / 1000) + Math.floor(Math.random() * 1_000_000));
      await run(DOVEADM, [
        '-c',
        `${dir}/dovecot.conf`,
        'mailbox',
        'update',
        '-u',
        user,
        '--uid-validity',
        uidValidity,
        folder,
      ]);
    },
    maildir: (user) => `${dir}/mail/${user}`,
    async ownMaildir(user) {
      await run('chown', ['-R', `${owner.uid}:${owner.gid}`, `${dir}/mail/${user}`]);
    },
    log: () => readLog(dir),
    async stop() {
      if (child && !exited) {
        const done = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child!.kill('SIGKILL'), 5_000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(`${dir}/dovecot.log`, 'utf8');
  } catch {
    return '';
  }
}

export interface ReceivedSmtpMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId: string | undefined;
  /** The AUTH user of the session, if it authenticated. */
  user: string | undefined;
}

export interface TestSmtpServer {
  host: '127.0.0.1';
  /** Plain SMTP: no STARTTLS, AUTH PLAIN/LOGIN allowed in the clear. */
  port: number;
  /** Every DATA the server read in full, in order, duplicates and dropped ones included. */
  received: ReceivedSmtpMessage[];
  /** `received` without repeated Message-IDs, as a mailbox provider deduplicates. */
  uniqueMessages(): ReceivedSmtpMessage[];
  /** The next `count` transactions: read the whole DATA, then cut the socket without a 250. */
  dropAfterData(count: number): void;
  /** Answers the next `count` DATA with `code` (default 550) instead of accepting them. */
  rejectNext(count: number, code?: number): void;
  /**
   * Reads the next `count` DATA in full and answers (accepts) each only `ms` later, as a slow
   * provider does; without `ms`, never: the client waits until it gives up or its process dies.
   */
  holdNext(count: number, ms?: number): void;
  stop(): Promise<void>;
}

/** The Message-ID header of a raw message, without its angle brackets. */
export function messageIdOf(raw: Buffer): string | undefined {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const header = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:\s*<?([^>\r\n]+?)>?\s*$/im.exec(header);
  return match?.[1]?.trim();
}

/**
 * An SMTP server on a free port of 127.0.0.1 that keeps every message it reads. With `users`,
 * AUTH is required and checked against them; without, anyone may send. With `deliverTo`, each
 * accepted message is appended to the INBOX of every recipient that is a user of that Dovecot
 * (once per Message-ID, as a provider deduplicates) before the server answers.
 */
export async function startSmtpServer(
  options: { users?: MailUser[]; deliverTo?: TestDovecot } = {},
): Promise<TestSmtpServer> {
  const users = new Map((options.users ?? []).map((user) => [user.user, user.password]));
  const received: ReceivedSmtpMessage[] = [];
  const delivered = new Set<string>();
  const sockets = new Map<number, Socket>();
  let toDrop = 0;
  let toReject = 0;
  let rejectCode = 550;
  let toHold = 0;
  let holdMs: number | undefined;
  const holds = new Set<NodeJS.Timeout>();

  const deliver = async (message: ReceivedSmtpMessage) => {
    const dovecot = options.deliverTo;
    if (!dovecot) return;
    for (const recipient of message.envelope.to) {
      if (!dovecot.hasUser(recipient)) continue;
      const key = `${recipient}\n${message.messageId ?? received.length}`;
      if (delivered.has(key)) continue;
      delivered.add(key);
      await dovecot.deliver(recipient, message.raw);
    }
  };

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: users.size === 0,
    onAuth(auth, _session, callback) {
      if (users.size > 0 && users.get(auth.username ?? '') !== auth.password) {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (toReject > 0) {
          toReject--;
          callback(
            Object.assign(new Error('Message refused by the test server'), { responseCode: rejectCode }),
          );
          return;
        }
        const raw = Buffer.concat(chunks);
        const message: ReceivedSmtpMessage = {
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
          },
          raw,
          messageId: messageIdOf(raw),
          user: typeof session.user === 'string' ? session.user : undefined,
        };
        received.push(message);
        if (toHold > 0) {
          toHold--;
          if (holdMs === undefined) return;
          const timer = setTimeout(() => {
            holds.delete(timer);
            deliver(message).then(
              () => callback(),
              (error: Error) => callback(Object.assign(error, { responseCode: 451 })),
            );
          }, holdMs);
          holds.add(timer);
          return;
        }
        if (toDrop > 0) {
          // The server has the message (a provider may well deliver it) but the client never
          // hears so: the case a sender must retry without making a second copy.
          toDrop--;
          deliver(message).finally(() => sockets.get(session.remotePort)?.destroy());
          return;
        }
        deliver(message).then(
          () => callback(),
          (error: Error) => callback(Object.assign(error, { responseCode: 451 })),
        );
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const remotePort = socket.remotePort ?? 0;
    sockets.set(remotePort, socket);
    socket.once('close', () => sockets.delete(remotePort));
  });
  // A dropped client is expected here; smtp-server reports it as an error.
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    received,
    uniqueMessages() {
      const seen = new Set<string>();
      return received.filter((message) => {
        if (message.messageId === undefined) return true;
        if (seen.has(message.messageId)) return false;
        seen.add(message.messageId);
        return true;
      });
    },
    dropAfterData(count) {
      toDrop = count;
    },
    rejectNext(count, code = 550) {
      toReject = count;
      rejectCode = code;
    },
    holdNext(count, ms) {
      toHold = count;
      holdMs = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of holds) clearTimeout(timer);
        for (const socket of sockets.values()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
