import type { MailDeps } from '../deps.js';

export async function syncAccountJob(_deps: MailDeps, _accountId: string): Promise<void> {}
export async function syncAllJob(_deps: MailDeps): Promise<void> {}
