/**
 * SEND MAIL's first argument as General Bots scripts write it: one address, or several separated
 * by commas or semicolons. Every host that sends mail reads it the same way.
 */
export function mailRecipients(to: string): string[] {
  return to
    .split(/[,;]/)
    .map((address) => address.trim())
    .filter(Boolean);
}
