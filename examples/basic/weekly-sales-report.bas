' A scheduled automation: every Monday at 9am it summarizes last week's sales.
' The cluster's scheduler reads SET SCHEDULE at compile time (cron "0 9 * * 1").
' Run it now: pnpm basic run examples/basic/weekly-sales-report.bas

SET SCHEDULE "every monday at 9am"

sales = GET BOT MEMORY "weekly-sales"
IF ISEMPTY(sales) THEN
  ' Outside the cluster there is no stored data yet, so report on a sample week.
  sales = [ _
    {"day": "Mon", "orders": 12, "revenue": 1340.5}, _
    {"day": "Tue", "orders": 9, "revenue": 980}, _
    {"day": "Wed", "orders": 15, "revenue": 1712.25}, _
    {"day": "Thu", "orders": 7, "revenue": 640}, _
    {"day": "Fri", "orders": 21, "revenue": 2890.75} _
  ]
END IF

totalOrders = 0
totalRevenue = 0
best = NOTHING
lines = []
FOR EACH entry IN sales
  totalOrders = totalOrders + entry.orders
  totalRevenue = totalRevenue + entry.revenue
  IF best = NOTHING THEN
    best = entry
  ELSEIF entry.revenue > best.revenue THEN
    best = entry
  END IF
  lines[LEN(lines)] = entry.day & ": " & entry.orders & " orders, " & FORMAT(entry.revenue, "$#,##0.00")
NEXT

average = 0
IF totalOrders > 0 THEN average = totalRevenue / totalOrders

TALK "Weekly sales report"
FOR i = 0 TO LEN(lines) - 1
  TALK "  " & lines[i]
NEXT i
TALK "Total: ${totalOrders} orders, ${FORMAT(totalRevenue, "$#,##0.00")}"
TALK "Average order: ${FORMAT(average, "$#,##0.00")}"
TALK "Best day: ${best.day} (${FORMAT(best.revenue, "$#,##0.00")})"

SET BOT MEMORY "last-report", {"orders": totalOrders, "revenue": ROUND(totalRevenue, 2)}
PRINT "report sent at " & NOW
