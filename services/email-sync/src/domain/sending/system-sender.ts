/** Platform mail comes from MAIL_FROM (`Name <address>` or an address). */
export function systemSender(mailFrom: string) {
  const named = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(mailFrom);
  return named ? { name: named[1] || null, address: named[2]! } : { name: null, address: mailFrom.trim() };
}
