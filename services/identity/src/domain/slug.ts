/** A URL-friendly form of a name, e.g. "Acme Robotics!" -> "acme-robotics"; `fallback` when nothing is left. */
export const slugify = (name: string, fallback: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || fallback;
