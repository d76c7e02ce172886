' Runs whenever a new order lands in the "orders" table (from the webhook, a dialog or the
' tables API): queues it for the kitchen and counts today's orders. Save it as a tool of the bot.
ON INSERT OF "orders"

ticket = "K-" & row.id
order = row.id
total = row.total
INSERT "kitchen", {"ticket": ticket, "order": order, "total": total, "state": "to prepare"}

counter = "orders-" & TODAY
count = GET BOT MEMORY counter
SET BOT MEMORY counter, count + 1
