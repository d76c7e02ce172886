' Paid orders report (General Bots style): reads the bot's "orders" table (imported as CSV),
' sums it by region and month, flags the big ones and tells the team in one Markdown message.
orders = FIND "orders", "status=paid"
IF LEN(orders) = 0 THEN
  TALK "No paid orders yet."
  END
END IF

total = AGGREGATE "SUM", orders, "total"
biggest = AGGREGATE "MAX", orders, "total"
byRegion = PIVOT orders, "region", "month", "total"
customers = MAP orders, "customer->name, total"
flagged = UPDATE "orders", "status=paid AND total>=1000", {"priority": "high"}

BEGIN TALK
## Paid orders
- **Orders:** ${LEN(orders)} (${flagged} of 1,000 or more)
- **Revenue:** ${FORMAT(total, "#,##0.00")}
- **Largest:** ${FORMAT(biggest, "#,##0.00")} by ${FIRST(FILTER(customers, "total=" & biggest)).name}
END TALK

FOR EACH row IN byRegion
  TALK row.region & ": jan " & FORMAT(row.jan, "0") & ", feb " & FORMAT(row.feb, "0")
NEXT
