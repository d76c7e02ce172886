import { randomUUID } from 'node:crypto';
import type { BasicHost, FileHostKind, Value } from '@conduit/basic';
import type { Bus } from '@conduit/bus';
import { checkBotPath } from '@conduit/contracts';
import { type OutboundHttp, RawBody, scriptFetch, urlForMessage } from '@conduit/outbound-http';
import Papa from 'papaparse';
import { type BotFileOwner, botFileStore } from './bot-file-store.js';
import { DEFAULT_PDF_LIMITS, generatePdf, mergePdfs } from './pdf-documents.js';
import { buildZip, DEFAULT_ZIP_LIMITS, extractZip, type ZipLimits } from './zip-archives.js';

export interface BotFileKeywordOptions {
  /** The bot whose storage the script works on, with its owner (and team), who pays for it. */
  bot: BotFileOwner;
  timeoutMs: number;
  /** The guarded client of the host's HTTP keywords: DOWNLOAD and UPLOAD go through it. */
  http: OutboundHttp;
  /** The largest file the script may read or write (held in memory while it works on it). */
  maxFileBytes?: number;
  zipLimits?: ZipLimits;
}

/** The host's file keywords: one per kind of file statement the compiler emits. */
export type BotFileKeywords = Pick<BasicHost, FileHostKind>;

const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;
const MAX_FILES_AT_ONCE = 100;

/** A path the script gave, checked here too, so a bad one fails before any call. */
function pathOf(raw: string, options: { folder?: boolean } = {}): string {
  const checked = checkBotPath(raw, options);
  if (!checked.ok) throw new Error(checked.message);
  return checked.path;
}

const isRow = (v: Value): v is Record<string, Value> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** WRITE's bytes: text as it is; rows as CSV for a .csv path; anything else as JSON. */
export function bytesToWrite(path: string, data: Value): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (/\.csv$/i.test(path) && Array.isArray(data) && data.every(isRow)) {
    const columns = [...new Set(data.flatMap((row) => Object.keys(row)))];
    const cells = data.map((row) =>
      columns.map((c) => {
        const v = row[c];
        return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : v;
      }),
    );
    return Buffer.from(`${Papa.unparse({ fields: columns, data: cells })}\n`, 'utf8');
  }
  return Buffer.from(JSON.stringify(data, null, 2), 'utf8');
}

/** A list of paths a script gave (a list, or one text). */
function pathList(value: Value, keyword: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  if (!items.length) throw new Error(`${keyword} needs at least one file`);
  if (items.length > MAX_FILES_AT_ONCE)
    throw new Error(`${keyword} takes at most ${MAX_FILES_AT_ONCE} files at once`);
  return items.map((item) => {
    const path = isRow(item) && typeof item.path === 'string' ? item.path : item;
    if (typeof path !== 'string')
      throw new Error(`${keyword} takes paths (text), not ${JSON.stringify(item)}`);
    return pathOf(path);
  });
}

/**
 * The bot file keywords of a BASIC script (issue #19, family 4), the same in every host of
 * scripts (conversation's dialogs, the workflow engine's automations): the files live in the
 * workspace service (rpc.workspace.bot_files.*) as the bot owner's; DOWNLOAD and UPLOAD go
 * through the outbound guard; zips and PDFs are made and read here, in memory, within limits.
 */
export function botFileKeywords(bus: Bus, options: BotFileKeywordOptions): BotFileKeywords {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const zipLimits = options.zipLimits ?? DEFAULT_ZIP_LIMITS;
  const store = botFileStore(bus, { bot: options.bot, timeoutMs: options.timeoutMs, maxBytes });
  const answer = (file: {
    path: string;
    name: string;
    sizeBytes: number;
    contentType: string;
    updatedAt: string;
  }) => ({
    path: file.path,
    name: file.name,
    size: file.sizeBytes,
    contentType: file.contentType,
    modified: file.updatedAt,
  });
  return {
    async readFile(path) {
      return (await store.read(pathOf(path))).bytes.toString('utf8');
    },
    async writeFile(path, data) {
      const target = pathOf(path);
      return (await store.write(target, bytesToWrite(target, data))).path;
    },
    async listFiles(folder) {
      return (await store.list(pathOf(folder, { folder: true }))).map(answer);
    },
    async copyFile(from, to) {
      return (await store.copy(pathOf(from), pathOf(to), false)).path;
    },
    async moveFile(from, to) {
      return (await store.copy(pathOf(from), pathOf(to), true)).path;
    },
    async deleteFile(path) {
      await store.delete(pathOf(path));
      return true;
    },
    async downloadFile(url, path) {
      const target = pathOf(path);
      const response = await options.http.request({ method: 'GET', url });
      if (response.status < 200 || response.status >= 300)
        throw new Error(`${urlForMessage(url)} answered HTTP ${response.status}`);
      return (await store.write(target, response.body)).path;
    },
    async uploadFile(path, url) {
      const { file, bytes } = await store.read(pathOf(path));
      const boundary = `----conduit-${randomUUID()}`;
      const safeName = file.name.replace(/["\\\r\n]/g, '_');
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
        ),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return scriptFetch(options.http)(
        'POST',
        url,
        new RawBody(body, `multipart/form-data; boundary=${boundary}`),
      );
    },
    async compressFiles(files, archive) {
      const target = pathOf(archive);
      // One folder (text that names no file) takes every file under it, named from the folder.
      let entries: { name: string; path: string }[];
      if (typeof files === 'string') {
        const folder = pathOf(files, { folder: true });
        const listed = await store.list(folder, zipLimits.maxEntries + 1);
        if (listed.length > zipLimits.maxEntries)
          throw new Error(`"${folder}" has more than ${zipLimits.maxEntries} files to compress`);
        entries = listed.map((f) => ({
          name: folder ? f.path.slice(folder.length + 1) : f.path,
          path: f.path,
        }));
        if (!entries.length) throw new Error(`there are no files under "${folder}" to compress`);
      } else entries = pathList(files, 'COMPRESS').map((path) => ({ name: path, path }));
      let total = 0;
      const contents: { name: string; bytes: Uint8Array }[] = [];
      for (const entry of entries) {
        const { bytes } = await store.read(entry.path);
        total += bytes.length;
        if (total > zipLimits.maxTotalBytes)
          throw new Error(`the files add up to more than ${zipLimits.maxTotalBytes} bytes`);
        contents.push({ name: entry.name, bytes });
      }
      return (await store.write(target, buildZip(contents))).path;
    },
    async extractFiles(archive, folder) {
      const into = pathOf(folder, { folder: true });
      const { bytes } = await store.read(pathOf(archive));
      const extracted = extractZip(bytes, into, zipLimits);
      if (!extracted.length) return [];
      // All or nothing: the workspace reserves the storage of every entry before it keeps one.
      await store.writeAll(extracted);
      return extracted.map((entry) => entry.path);
    },
    async generatePdf(template, data, output) {
      const target = pathOf(output);
      const { bytes: templateBytes } = await store.read(pathOf(template));
      const pdf = await generatePdf(templateBytes.toString('utf8'), data);
      const file = await store.write(target, pdf.bytes);
      return { ...answer(file), pages: pdf.pages, url: file.path, localName: file.path };
    },
    async mergePdf(files, output) {
      const target = pathOf(output);
      const sources: { name: string; bytes: Uint8Array }[] = [];
      let total = 0;
      for (const path of pathList(files, 'MERGE PDF')) {
        const { bytes } = await store.read(path);
        total += bytes.length;
        // Every PDF is held in memory until the merge: stop reading once they are too many bytes.
        if (total > DEFAULT_PDF_LIMITS.maxMergeBytes)
          throw new Error(
            `the PDFs add up to more than ${DEFAULT_PDF_LIMITS.maxMergeBytes} bytes; nothing was merged`,
          );
        sources.push({ name: path, bytes });
      }
      const pdf = await mergePdfs(sources);
      const file = await store.write(target, pdf.bytes);
      return { ...answer(file), pages: pdf.pages, url: file.path, localName: file.path };
    },
  };
}
