export {
  type BotFileKeywordOptions,
  type BotFileKeywords,
  botFileKeywords,
  bytesToWrite,
} from './bot-file-keywords.js';
export { type BotFile, type BotFileOwner, type BotFileStore, botFileStore } from './bot-file-store.js';
export { mailAttachments } from './mail-attachments.js';
export {
  fillTemplate,
  type GeneratedPdf,
  generatePdf,
  mergePdfs,
  pageCount,
  templateText,
} from './pdf-documents.js';
export {
  ArchiveRefused,
  buildZip,
  DEFAULT_ZIP_LIMITS,
  type ExtractedEntry,
  extractZip,
  type ZipLimits,
} from './zip-archives.js';
