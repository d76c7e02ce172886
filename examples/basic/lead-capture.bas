' Lead capture: qualifies a visitor and keeps the lead for the sales team.
' Run it: pnpm basic run examples/basic/lead-capture.bas

TALK "Hi! I'm the ACME assistant. May I have your name?"
HEAR name
TALK "Nice to meet you, ${name}. What is your work email?"
HEAR email AS EMAIL
TALK "Which company are you with?"
HEAR company
TALK "How many people would use ACME?"
HEAR seats AS INTEGER
TALK "What are you most interested in?"
HEAR interest AS "Pricing", "Demo", "Support"

' A simple score helps sales pick up the hottest leads first.
FUNCTION Score(seats, interest)
  points = 0
  SELECT CASE seats
    CASE IS >= 100
      points = points + 50
    CASE 20 TO 99
      points = points + 30
    CASE ELSE
      points = points + 10
  END SELECT
  IF interest = "Demo" THEN points = points + 30 ELSE points = points + 10
  Score = points
END FUNCTION

lead = {"name": name, "email": email, "company": UPPER(TRIM(company)), "seats": seats, "interest": interest}
lead.score = Score(seats, interest)
lead.capturedAt = NOW

IF interest = "Demo" THEN
  TALK "Great! Which day suits you for a 30-minute demo?"
  HEAR demoDay AS DATE
  TALK "And at what time?"
  HEAR demoTime AS HOUR
  lead.demo = demoDay & " " & demoTime
  TALK "Booked: ${FORMAT(demoDay, "dd/MM/yyyy")} at ${demoTime}. A calendar invite is on its way."
END IF

leads = GET BOT MEMORY "leads"
IF ISEMPTY(leads) THEN leads = []
leads[LEN(leads)] = lead
SET BOT MEMORY "leads", leads
SET USER MEMORY "lead", lead

PRINT "lead captured: " & lead.email & " score " & lead.score
TALK "Thanks, ${name}! Someone from our team will contact you at ${email}."
