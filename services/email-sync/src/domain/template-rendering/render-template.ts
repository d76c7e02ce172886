/** `{{name}}` or `{{ customer.name }}`: a variable, its value looked up in the values given. */
const VARIABLE = /\{\{\s*([A-Za-z_][\w.-]{0,99})\s*\}\}/g;

export type TemplateValues = Record<string, string | number | boolean | null>;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );

/** The variables a text names, each once, in order of first use. */
export function variablesOf(...texts: (string | null | undefined)[]): string[] {
  const names = new Set<string>();
  for (const text of texts) for (const match of (text ?? '').matchAll(VARIABLE)) names.add(match[1]!);
  return [...names];
}

function fill(text: string, values: TemplateValues, encode: (value: string) => string, missing: Set<string>) {
  return text.replace(VARIABLE, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined || value === null) {
      missing.add(name);
      return '';
    }
    return encode(String(value));
  });
}

/**
 * Renders a template: values go into the subject and text as they are and into the HTML escaped
 * (a value cannot inject markup); the subject is kept to one line. Variables without a value
 * render empty and are listed in `missing`.
 */
export function renderTemplate(
  template: { subject: string; htmlBody: string | null; textBody: string | null },
  values: TemplateValues,
) {
  const missing = new Set<string>();
  const subject = fill(template.subject, values, (value) => value.replace(/[\r\n]+/g, ' '), missing);
  const text = template.textBody === null ? null : fill(template.textBody, values, (value) => value, missing);
  const html = template.htmlBody === null ? null : fill(template.htmlBody, values, escapeHtml, missing);
  return { subject, text, html, missing: [...missing] };
}
