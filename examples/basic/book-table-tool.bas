' A tool the LLM can call: its PARAMs become the JSON Schema of the function call.
' Check its schema: pnpm basic check examples/basic/book-table-tool.bas
' Run it: pnpm basic run examples/basic/book-table-tool.bas --param guests=4 ...
'   (missing parameters are asked for on standard input)

DESCRIPTION "Books a table at the restaurant and returns the booking reference"
PARAM customer AS STRING LIKE "Ana Silva" DESCRIPTION "Name the booking is under"
PARAM guests AS INTEGER LIKE 4 DESCRIPTION "Number of people, 1 to 12"
PARAM day AS DATE LIKE "2025-12-31" DESCRIPTION "Day of the booking"
PARAM time AS HOUR LIKE "19:30" DESCRIPTION "Arrival time, between 12:00 and 22:00"
PARAM area AS "Indoor", "Terrace" DESCRIPTION "Where to sit"

IF guests < 1 OR guests > 12 THEN
  TALK "Sorry, we can only book tables for 1 to 12 people."
  RETURN {"ok": FALSE, "reason": "party size"}
END IF

hour = VAL(LEFT(time, 2))
IF hour < 12 OR hour > 22 THEN
  TALK "Sorry, the kitchen is open from 12:00 to 22:00."
  RETURN {"ok": FALSE, "reason": "closed"}
END IF

' Bookings per day live in bot memory; the reference counts them.
key = "bookings-" & day
bookings = GET BOT MEMORY key
IF ISEMPTY(bookings) THEN bookings = []
reference = "T" & REPLACE(day, "-", "") & "-" & FORMAT(LEN(bookings) + 1, "000")
bookings[LEN(bookings)] = {"ref": reference, "customer": customer, "guests": guests, "time": time, "area": area}
SET BOT MEMORY key, bookings

TALK "Table for ${guests} on ${FORMAT(day, "dd/MM/yyyy")} at ${time} (${LOWER(area)}), under ${customer}. Reference ${reference}."
RETURN {"ok": TRUE, "reference": reference}
