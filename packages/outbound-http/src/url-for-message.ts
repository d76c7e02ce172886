// Error messages of the HTTP keywords reach a script's author, logs and, before they were made
// generic, webhook callers; a URL's query string and user info often carry API keys, so messages
// name a URL by its origin and path only.

const MAX_LENGTH = 300;

/**
 * `raw` as an error message may show it: scheme, host, port and path, without user info, query
 * string or fragment (and, for text that is no URL, without anything after `?` or `#` and before
 * an `@`), at most 300 characters.
 */
export function urlForMessage(raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {}
  let shown: string;
  if (url && (url.protocol === 'http:' || url.protocol === 'https:'))
    shown = `${url.protocol}//${url.host}${url.pathname}`;
  else {
    // Not a web URL ("user:key@host" reads as scheme "user:"): cut by hand.
    shown = raw.split(/[?#]/, 1)[0]!;
    shown = shown.slice(shown.lastIndexOf('@') + 1);
  }
  return shown.length > MAX_LENGTH ? `${shown.slice(0, MAX_LENGTH)}...` : shown;
}
