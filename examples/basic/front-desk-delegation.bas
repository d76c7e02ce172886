' A front desk that works with a specialist bot (General Bots style multi-agent): billing
' questions go to the "Billing Desk" bot, which the person talking may use (their own bot,
' their team's or one shared with their organization).
TALK "Hi! I'm the front desk. What is your question?"
HEAR question

IF INSTR(LOWER(question), "invoice") > 0 OR INSTR(LOWER(question), "refund") > 0 THEN
  answer = DELEGATE question TO BOT "Billing Desk"
  TALK "Our billing desk says: " & answer
  ' From now on, messages about money go straight to the billing desk.
  ADD BOT "Billing Desk" WITH TRIGGER "invoice, refund, payment"
  TALK "Ask me anything else; billing questions go straight to them."
ELSE
  TALK "Let me pass you to our support team."
  TRANSFER CONVERSATION TO "Support Desk"
END IF
