' Lead capture into a bot table (General Bots style): asks a visitor who they are, sorts them
' into a segment and SAVEs them in the bot's "leads" table, one row per email.
BEGIN TALK
**Welcome!** I can put you in touch with our sales team.
Three quick questions first.
END TALK

TALK "What is your name?"
HEAR name
TALK "And your work email?"
HEAR email AS EMAIL
TALK "How many people work at your company?"
HEAR size AS INTEGER

SWITCH size
  CASE 1 TO 10
    segment = "small"
  CASE 11 TO 250
    segment = "mid-market"
  CASE ELSE
    segment = "enterprise"
END SWITCH

received = NOW
SAVE "leads.csv", email, name, size, segment, received
SET USER FACT "segment", segment
REMEMBER "lead-email", email, "90 days"

ADD SUGGESTION "pricing" AS "See pricing"
ADD SUGGESTION "demo" AS "Book a demo"
TALK "Thanks, ${name}! Our ${segment} team will write to ${email} within a day."
