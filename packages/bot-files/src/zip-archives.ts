import { crc32 } from 'node:zlib';
import { checkBotPath, joinBotPath } from '@conduit/contracts';
import { type UnzipFileInfo, unzipSync, zipSync } from 'fflate';

// COMPRESS and EXTRACT: zip archives built and read in memory with fflate, within limits that a
// zip bomb cannot get past. An archive is checked whole before anything is written: its entry
// count (from its end record, before a single entry is read), every entry's name (no "../", no
// absolute path), the total size its entries declare and their compression ratio; an entry that
// inflates to other than it declared stops the extraction too.

export interface ZipLimits {
  /** Entries one archive may hold. */
  maxEntries: number;
  /** Bytes all of an archive's entries may add up to, uncompressed. */
  maxTotalBytes: number;
  /** How many times larger than its compressed bytes an entry may be. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1000,
  maxTotalBytes: 50 * 1024 * 1024,
  maxRatio: 200,
};

export class ArchiveRefused extends Error {
  constructor(message: string) {
    super(`${message}; nothing was extracted`);
    this.name = 'ArchiveRefused';
  }
}

interface EndRecord {
  /** The entry count it declares (the 64-bit end record's, if there is one). */
  count: number;
  /** Where the central directory starts, or null when only a 64-bit record could say. */
  directoryAt: number | null;
}

/** A zip's end record, or null when it has none (not a zip). */
function endRecord(zip: Uint8Array): EndRecord | null {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record is 22 bytes and may be followed by a comment of up to 65,535 bytes.
  for (let at = zip.length - 22; at >= 0 && at >= zip.length - 22 - 0xffff; at--) {
    if (view.getUint32(at, true) !== 0x06054b50) continue;
    const count = view.getUint16(at + 10, true);
    const offset = view.getUint32(at + 16, true);
    const directoryAt = offset === 0xffffffff ? null : offset;
    if (count !== 0xffff || at < 20) return { count, directoryAt };
    // Zip64: the locator (20 bytes before) points at the 64-bit end record, which has the count.
    if (view.getUint32(at - 20, true) !== 0x07064b50) return { count, directoryAt };
    const record = Number(view.getBigUint64(at - 20 + 8, true));
    if (record + 56 > zip.length || view.getUint32(record, true) !== 0x06064b50)
      return { count: Number.MAX_SAFE_INTEGER, directoryAt: null };
    return { count: Number(view.getBigUint64(record + 32, true)), directoryAt: null };
  }
  return null;
}

/** Code page 437's upper half, the names' encoding when an entry does not flag UTF-8 (APPNOTE D.1). */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An entry's name as its writer meant it: UTF-8 when general-purpose bit 11 says so; else CP437,
 * unless the bytes are valid UTF-8 (as macOS and many tools write without setting the flag).
 */
function entryName(raw: Uint8Array, flaggedUtf8: boolean): string {
  if (flaggedUtf8 || raw.every((b) => b < 0x80)) return new TextDecoder().decode(raw);
  try {
    return utf8.decode(raw);
  } catch {
    return String.fromCharCode(...raw).replace(/[\x80-\xff]/g, (c) => CP437_HIGH[c.charCodeAt(0) - 0x80]!);
  }
}

interface DirectoryEntry {
  /** The name as fflate decodes it (UTF-8 when flagged, else latin1): its key for the entry. */
  key: string;
  /** The name as the archive's writer meant it. */
  name: string;
  /** The CRC-32 its central directory header states. */
  crc: number;
}

/** The central directory's entries, in order (the order fflate reads them in). */
function centralDirectory(zip: Uint8Array, directoryAt: number, count: number): DirectoryEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const entries: DirectoryEntry[] = [];
  let at = directoryAt;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || view.getUint32(at, true) !== 0x02014b50) break;
    const flaggedUtf8 = (view.getUint16(at + 8, true) & 0x800) !== 0;
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const raw = zip.subarray(at + 46, at + 46 + nameLength);
    entries.push({
      key: flaggedUtf8 ? new TextDecoder().decode(raw) : String.fromCharCode(...raw),
      name: entryName(raw, flaggedUtf8),
      crc: view.getUint32(at + 16, true),
    });
    at += 46 + nameLength + extra;
  }
  return entries;
}

export interface ExtractedEntry {
  path: string;
  bytes: Uint8Array;
}

/**
 * The files of `zip`, each at its path under `folder`, once the whole archive has passed the
 * limits; folders (names ending "/") are skipped. Throws ArchiveRefused saying which check failed.
 */
export function extractZip(
  zip: Uint8Array,
  folder: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): ExtractedEntry[] {
  const end = endRecord(zip);
  if (end === null) throw new ArchiveRefused('the file is not a zip archive');
  if (end.count > limits.maxEntries)
    throw new ArchiveRefused(
      `the archive has ${end.count} entries, more than the ${limits.maxEntries} allowed`,
    );
  if (end.directoryAt === null)
    throw new ArchiveRefused('the archive is a 64-bit zip, larger than bot files may be');
  const entries: UnzipFileInfo[] = [];
  try {
    // The first pass only looks: returning false inflates nothing.
    unzipSync(zip, {
      filter(info) {
        entries.push(info);
        if (entries.length > limits.maxEntries)
          throw new ArchiveRefused(`the archive has more than ${limits.maxEntries} entries`);
        return false;
      },
    });
  } catch (error) {
    if (error instanceof ArchiveRefused) throw error;
    throw new ArchiveRefused(`the archive cannot be read (${(error as Error).message})`);
  }
  // Entries are matched to their central directory records by position (fflate reads them in
  // that order), which also gives each its name as written, whatever fflate made of it.
  const directory = centralDirectory(zip, end.directoryAt, entries.length);
  let total = 0;
  const wanted = new Map<string, { path: string; name: string; crc: number }>();
  for (const [index, entry] of entries.entries()) {
    const record = directory[index];
    if (!record || record.key !== entry.name)
      throw new ArchiveRefused("the archive's central directory does not match its entries");
    if (record.name.endsWith('/')) continue;
    const checked = checkBotPath(record.name);
    if (!checked.ok) throw new ArchiveRefused(`an entry's name is refused: ${checked.message}`);
    const target = checkBotPath(joinBotPath(folder, checked.path));
    if (!target.ok) throw new ArchiveRefused(target.message);
    if (entry.compression !== 0 && entry.compression !== 8)
      throw new ArchiveRefused(
        `"${checked.path}" uses a compression method zip readers rarely know (${entry.compression})`,
      );
    total += entry.originalSize;
    if (total > limits.maxTotalBytes)
      throw new ArchiveRefused(`its entries add up to more than ${limits.maxTotalBytes} bytes uncompressed`);
    if (entry.originalSize > Math.max(entry.size, 1) * limits.maxRatio && entry.originalSize > 1024 * 1024)
      throw new ArchiveRefused(
        `"${checked.path}" is compressed more than ${limits.maxRatio} times (a zip bomb?)`,
      );
    wanted.set(entry.name, { path: target.path, name: checked.path, crc: record.crc });
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, { filter: (info) => wanted.has(info.name) });
  } catch (error) {
    throw new ArchiveRefused(`the archive cannot be read (${(error as Error).message})`);
  }
  // fflate inflates an entry into the size it declares, no more; one that was cut short or
  // tampered with no longer matches the checksum its header states.
  return [...wanted].map(([key, { path, name, crc }]) => {
    const bytes = files[key];
    if (!bytes || crc !== crc32(bytes))
      throw new ArchiveRefused(`"${name}" does not inflate to what its header states (damaged or forged)`);
    return { path, bytes };
  });
}

/** A zip of `files` (name in the archive to bytes), compressed, with their modification time now. */
export function buildZip(files: { name: string; bytes: Uint8Array }[]): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 6 }]> = {};
  for (const file of files) entries[file.name] = [file.bytes, { level: 6 }];
  return zipSync(entries);
}
