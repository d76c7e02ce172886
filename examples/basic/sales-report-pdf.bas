' Sales report as a PDF (General Bots style): the bot's "sales" table (imported as CSV) becomes
' a CSV file and a PDF in the bot's files, and the team gets the PDF by mail.
' Config (config.csv): param-reportTo, the address the report goes to.
' The files are read through the API: GET /v1/bots/:botId/files/content?path=reports/...
sales = FIND "sales", "status=paid"
IF LEN(sales) = 0 THEN
  TALK "No paid sales to report yet."
  END
END IF

rows = MAP sales, "id, customer, region, total"
total = AGGREGATE "SUM", sales, "total"
byRegion = PIVOT sales, "region", "status", "total"

csvFile = WRITE "reports/sales-" + TODAY + ".csv", rows

' The template lives in the bot's files too: written here once, edited there later.
template = "templates/sales-report.html"
IF LEN(LIST "templates") = 0 THEN
  WRITE template, "<h1>Paid sales, {{day}}</h1><p>{{count}} sales, {{total}} in all.</p><h2>By region</h2><pre>{{regions}}</pre><h2>Sales</h2><pre>{{rows}}</pre>"
END IF

data = {"day": TODAY, "count": LEN(sales), "total": FORMAT(total, "#,##0.00"), "regions": byRegion, "rows": rows}
pdf = GENERATE PDF template, data, "reports/sales-" + TODAY + ".pdf"

' The PDF goes with the mail (SEND MAIL's fourth argument: a bot file, or a list of them).
SEND MAIL reportTo, "Paid sales report " + TODAY, "The paid sales report of " + TODAY + " (" + LEN(sales) + " sales, " + FORMAT(total, "#,##0.00") + ") is attached, and in the bot's files: " + pdf.path + " (" + pdf.pages + " pages) and " + csvFile + ".", pdf.path

BEGIN TALK
**Report ready:** ${pdf.path} (${pdf.pages} pages) and ${csvFile}, mailed to ${reportTo}.
END TALK
