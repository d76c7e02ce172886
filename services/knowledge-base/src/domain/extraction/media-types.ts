/** The file types a collection accepts, by extension, with the media type each is stored under. */
export const supportedTypes = {
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  csv: 'text/csv',
  json: 'application/json',
} as const;

export type SupportedMediaType = (typeof supportedTypes)[keyof typeof supportedTypes];

const byMediaType = new Set<string>(Object.values(supportedTypes));

/**
 * The media type of an upload: from its file name's extension, else from the declared type.
 * Undefined when neither names a supported type.
 */
export function mediaTypeOf(fileName: string, declared?: string): SupportedMediaType | undefined {
  const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension && extension in supportedTypes)
    return supportedTypes[extension as keyof typeof supportedTypes];
  const bare = declared?.split(';')[0]?.trim().toLowerCase();
  return bare && byMediaType.has(bare) ? (bare as SupportedMediaType) : undefined;
}

export const supportedExtensions = Object.keys(supportedTypes)
  .map((e) => `.${e}`)
  .join(' ');
