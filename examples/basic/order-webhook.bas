' A webhook that stores an order (General Bots style). Save it as a tool of the bot; the shop
' then POSTs its orders to /v1/public/bots/<bot id>/webhooks/new-order with its token in the
' X-Shop-Token header. Anyone may call a webhook, so the script checks that token itself.
WEBHOOK "new-order"

expected = GET BOT MEMORY "shop-token"
IF expected = "" OR headers["x-shop-token"] <> expected THEN
  RETURN {"ok": FALSE, "error": "unknown shop"}
END IF

order = body
IF order.id = "" OR LEN(order.items) = 0 THEN
  RETURN {"ok": FALSE, "error": "an order needs an id and items"}
END IF

total = 0
FOR EACH item IN order.items
  total = total + item.qty * item.price
NEXT

id = order.id
customer = order.customer.email
status = "received"
received = NOW
SAVE "orders", id, customer, total, status, received

result_ok = TRUE
result_order = id
result_total = ROUND(total, 2)
