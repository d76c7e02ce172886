import type { OutboundRow } from './outbound-dto.js';

/** Every recipient of an outbound message (to, cc, bcc): what is sent to, and what is charged. */
export const recipientsOf = (row: Pick<OutboundRow, 'toAddresses' | 'ccAddresses' | 'bccAddresses'>) => [
  ...row.toAddresses,
  ...row.ccAddresses,
  ...row.bccAddresses,
];

/** What `email.message.sent|failed` say of a message: ids and a recipient count, no addresses or subject. */
export const outboundEventData = (row: OutboundRow, owner: { userId: string; teamId: string | null }) => ({
  outboundId: row.id,
  accountId: row.accountId,
  ownerUserId: owner.userId,
  teamId: owner.teamId,
  internetMessageId: row.messageId,
  recipients: recipientsOf(row).length,
  source: row.source,
});
