import type { FetchMessageObject } from 'imapflow';
import { describe, expect, it } from 'vitest';
import {
  attachmentsOf,
  headersOfEnvelope,
  headersOfSource,
  parseFetched,
  parseSource,
  snippetOf,
  storable,
  threadIdOf,
  threadingOfHeaderSection,
  threadingOfSource,
} from '../../src/sync/parse-message.js';

const limits = { bodyMax: 1000, sourceMax: 100_000 };
const fetched = (source: string | Buffer, extra: Partial<FetchMessageObject> = {}): FetchMessageObject => ({
  seq: 1,
  uid: 7,
  source: Buffer.isBuffer(source) ? source : Buffer.from(source),
  flags: new Set(['\\Seen', '$Label']),
  internalDate: new Date('2026-01-02T03:04:05Z'),
  size: Buffer.byteLength(source),
  ...extra,
});

describe('parseFetched', () => {
  it('reads headers, addresses, threading and bodies', async () => {
    const parsed = await parseFetched(
      fetched(
        [
          'From: "Ana B" <Ana@Example.test>',
          'To: bo@example.test, Team: cy@example.test, dee@example.test;',
          'Subject: =?utf-8?Q?caf=C3=A9?=',
          'Message-ID: <c@x>',
          'In-Reply-To: <b@x>',
          'References: <a@x> <b@x>',
          'Date: Thu, 01 Jan 2026 10:00:00 +0000',
          '',
          'Hello   there,\r\n  second line',
        ].join('\r\n'),
      ),
      limits,
    );
    expect(parsed).toMatchObject({
      uid: 7,
      messageId: '<c@x>',
      inReplyTo: '<b@x>',
      references: ['<a@x>', '<b@x>'],
      threadId: '<a@x>',
      fromAddress: { name: 'Ana B', address: 'ana@example.test' },
      subject: 'café',
      flags: ['$Label', '\\Seen'],
      snippet: 'Hello there, second line',
      bodyTruncated: false,
      parseError: null,
    });
    expect(parsed.toAddresses.map((a) => a.address)).toEqual([
      'bo@example.test',
      'cy@example.test',
      'dee@example.test',
    ]);
    expect(parsed.sentAt?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
  });

  it('cuts bodies at the limit and says so; a source cut at MESSAGE_MAX_BYTES is marked too', async () => {
    const long = await parseFetched(fetched(`Subject: long\r\n\r\n${'x'.repeat(5000)}`), limits);
    expect(long.textBody).toHaveLength(1000);
    expect(long.bodyTruncated).toBe(true);
    const cut = await parseFetched(fetched('Subject: big\r\n\r\nsmall part', { size: 200_000 }), limits);
    expect(cut.bodyTruncated).toBe(true);
  });

  it('keeps nothing Postgres cannot store and never throws on garbage', async () => {
    const garbage = await parseFetched(
      fetched(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0xd8, 0x00])),
      limits,
    );
    for (const value of [garbage.subject, garbage.textBody, garbage.snippet])
      if (value) expect(value.includes('\u0000') || !value.isWellFormed()).toBe(false);
    const bad = await parseFetched(fetched('Subject: x', { internalDate: 'not a date', size: 10 }), limits);
    expect(bad.receivedAt).toBeInstanceOf(Date);
  });
});

describe('headersOfSource', () => {
  const known = headersOfEnvelope({ messageId: '<known@x>', subject: 'from the envelope' });
  const headersOf = ({
    snippet,
    textBody,
    htmlBody,
    bodyTruncated,
    parseError,
    ...headers
  }: Awaited<ReturnType<typeof parseSource>>) => headers;

  it('reads the header fields as a full parse does, from the header section alone (CRLF or LF)', async () => {
    for (const eol of ['\r\n', '\n']) {
      const source = Buffer.from(
        [
          'From: Ana <ana@example.test>',
          'To: bo@example.test',
          'Subject: =?utf-8?Q?caf=C3=A9?=',
          'Message-ID: <c@x>',
          'In-Reply-To: <b@x>',
          'References: <a@x>',
          ' <b@x>',
          'Date: Tue, 06 Jan 2026 10:00:00 +0000',
          '',
          'References: <not-a-header@x>',
          '',
        ].join(eol),
      );
      const fromHeaders = await headersOfSource(source, known);
      expect(fromHeaders).toEqual(headersOf(await parseSource(source, source.length, known, limits)));
      expect(fromHeaders).toMatchObject({
        references: ['<a@x>', '<b@x>'],
        threadId: '<a@x>',
        subject: 'café',
      });
    }
  });

  it('keeps what is known where the source says nothing', async () => {
    expect(await headersOfSource(Buffer.from('X-Nothing: here'), known)).toMatchObject({
      messageId: '<known@x>',
      subject: 'from the envelope',
      threadId: '<known@x>',
    });
  });
});

describe('threadingOfSource', () => {
  const known = headersOfEnvelope({ messageId: '<envelope@x>', inReplyTo: '<envelope-parent@x>' });
  const threading = ({
    messageId,
    inReplyTo,
    references,
    threadId,
  }: Awaited<ReturnType<typeof parseSource>>) => ({
    messageId,
    inReplyTo,
    references,
    threadId,
  });
  // Header sections of the shapes mail has (folded, repeated, bare, commented, empty, 8-bit,
  // encoded), each read as the indexing pass's full parse reads it.
  const sections: [string, string[], boolean][] = [
    [
      'a reply with a folded chain',
      ['Message-ID: <c@x>', 'In-Reply-To: <b@x>', 'References: <a@x>', '\t<b@x>'],
      true,
    ],
    [
      'a chain over two References lines',
      ['References: <a@x> <b@x>', 'References: <c@x>', 'Message-ID: <d@x>'],
      true,
    ],
    ['one id, no brackets', ['Message-Id: m@x', 'in-reply-to: p@x', 'REFERENCES: r@x'], true],
    ['In-Reply-To with a comment', ['In-Reply-To: <p@x> (the message of Ana)', 'Message-ID: <m@x>'], true],
    [
      'two Message-IDs, the first empty',
      ['Message-ID:', 'Message-ID: <second@x>', 'Message-ID: <third@x>'],
      true,
    ],
    ['an empty References', ['References:', 'In-Reply-To: <p@x>', 'Message-ID: <m@x>'], true],
    ['no threading headers', ['Subject: alone', 'From: a@x'], true],
    ['References folded with spaces', ['References:', '   <a@x>', '   <b@x>  ', 'Subject: s'], true],
    [
      'a References too long to keep whole',
      ['References: ' + Array.from({ length: 120 }, (_, i) => `<r${i}@x>`).join(' ')],
      true,
    ],
    ['an encoded word', ['Message-ID: =?utf-8?Q?<m@x>?=', 'References: <a@x>'], false],
    ['8-bit text', ['References: <caf\u00e9@x> <b@x>', 'Message-ID: <m@x>'], false],
    ['a folded first line', [' Subject: odd', 'Message-ID: <m@x>'], false],
  ];

  for (const [name, headers, fast] of sections)
    it(`threads ${name} as the full parse does`, async () => {
      for (const eol of ['\r\n', '\n']) {
        const source = Buffer.from(
          [...headers, 'Subject: s', '', 'References: <body@x>', ''].join(eol),
          'latin1',
        );
        expect(threadingOfHeaderSection(source) !== undefined).toBe(fast);
        expect(await threadingOfSource(source, known)).toEqual(
          threading(await parseSource(source, source.length, known, limits)),
        );
      }
    });

  it('threads a reply by the root of its References, as the parse will', async () => {
    const source = Buffer.from(
      'Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <a@x> <b@x>\r\n\r\nhi\r\n',
    );
    expect(await threadingOfSource(source, known)).toEqual({
      messageId: '<c@x>',
      inReplyTo: '<b@x>',
      references: ['<a@x>', '<b@x>'],
      threadId: '<a@x>',
    });
  });
});

describe('helpers', () => {
  it('makes text storable and bounded', () => {
    expect(storable('a\u0000b\ud800c', 10)).toBe('ab\ufffdc');
    expect(storable('abcdef', 3)).toBe('abc');
    expect(storable(undefined, 3)).toBeNull();
  });

  it('threads by the root of References, else In-Reply-To, else itself', () => {
    expect(threadIdOf(['<r>', '<p>'], '<p>', '<m>')).toBe('<r>');
    expect(threadIdOf([], '<p>', '<m>')).toBe('<p>');
    expect(threadIdOf([], null, '<m>')).toBe('<m>');
    expect(snippetOf('  \n ')).toBeNull();
  });

  it('lists attachments from BODYSTRUCTURE with part numbers and decoded sizes', () => {
    const attachments = attachmentsOf({
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/plain', size: 10 },
        {
          part: '2',
          type: 'application/pdf',
          encoding: 'base64',
          size: 400,
          disposition: 'attachment',
          dispositionParameters: { filename: 'a.pdf' },
        },
        { part: '3', type: 'image/png', id: '<logo@x>', disposition: 'inline', size: 8 },
      ],
    });
    expect(attachments).toEqual([
      {
        part: '2',
        filename: 'a.pdf',
        contentType: 'application/pdf',
        size: 300,
        contentId: null,
        inline: false,
      },
      { part: '3', filename: null, contentType: 'image/png', size: 8, contentId: 'logo@x', inline: true },
    ]);
  });
});
