/**
 * The name a file is shown under, from what the client called it: only its last path segment,
 * without control characters, so `../../etc/passwd` is shown as `passwd`. It is a label and
 * nothing more: no path or storage key is ever made of it.
 */
export function displayName(fileName: string | undefined): string {
  const lastSegment = (fileName ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment
    .toWellFormed()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim()
    .replace(/^\.+$/, '');
  return [...cleaned].slice(0, 255).join('') || 'file';
}

/**
 * A Content-Disposition header that names the file safely: an ASCII fallback with anything
 * unusual replaced, and the exact name percent-encoded (RFC 6266).
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
