// A bot file's path: the one rule for every side (the script's host, the workspace service, the
// zip entries EXTRACT writes), so "../", an absolute path or a name with control characters is
// refused before anything is read or written, with a message that says why.

export const MAX_BOT_PATH = 512;
const MAX_SEGMENT = 255;

export type BotPathCheck = { ok: true; path: string } | { ok: false; message: string };

/**
 * `raw` as a bot file's path (`reports/2026/may.pdf`), or why it is not one. `folder: true` takes
 * a folder, where "" (every file) and a trailing "/" are fine; the answer then has no trailing "/".
 */
export function checkBotPath(raw: string, options: { folder?: boolean } = {}): BotPathCheck {
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw);
  let path = raw.trim();
  if (options.folder) {
    if (path === '' || path === '/') return { ok: true, path: '' };
    path = path.replace(/\/+$/, '');
  }
  if (path === '') return { ok: false, message: 'a file path cannot be empty' };
  if (path.length > MAX_BOT_PATH)
    return { ok: false, message: `${shown} is longer than ${MAX_BOT_PATH} characters` };
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return {
      ok: false,
      message: `${shown} is an absolute path; bot file paths are relative to the bot's storage`,
    };
  if (path.includes('\\'))
    return { ok: false, message: `${shown} has a backslash; separate folders with "/"` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return { ok: false, message: `${shown} has control characters` };
  if (/[\ud800-\udfff]/.test(path.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')))
    return { ok: false, message: `${shown} is not valid text` };
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.')
      return {
        ok: false,
        message: `${shown} has a "${segment}" segment; paths cannot leave or name their folder`,
      };
    if (segment === '') return { ok: false, message: `${shown} has an empty folder name` };
    if (segment.length > MAX_SEGMENT)
      return { ok: false, message: `${shown} has a name longer than ${MAX_SEGMENT}` };
  }
  return { ok: true, path };
}

/** The path under `folder` ("" for the top). */
export const joinBotPath = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);
