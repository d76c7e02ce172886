' Quote for review (General Bots style): the seat price table is plain JavaScript run in the
' sandbox, and the quote is left as a draft in the bot's mailbox for a salesperson to check and
' send; the customer is invited into the shared "Customers" team to follow it.
TALK "How many seats do you need?"
HEAR seats AS INTEGER
TALK "What is your email?"
HEAR email AS EMAIL

pricing = "const tiers = [[100, 9], [20, 11], [1, 12]];" + _
  "const [, price] = tiers.find(([from]) => input.seats >= from);" + _
  "({ price, total: price * input.seats })"
quote = RUN JAVASCRIPT pricing, {"seats": seats}

draft = CREATE DRAFT email, "Your quote for " & seats & " seats", _
  "Hello, " & seats & " seats at " & quote.price & " cost " & quote.total & " a month."
ADD MEMBER email, "Customers"

TALK "Thanks! ${seats} seats come to ${quote.total} a month. A salesperson will check the quote and send it to ${email}."
