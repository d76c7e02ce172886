' Support triage (General Bots style): the company's name and contacts come from the bot's
' config.csv (param-company, param-billingEmail), the topic decides the answer, and anything
' else goes to the LLM under a system prompt of the company's own.
BEGIN SYSTEM PROMPT
You are the support assistant of ${company}.
Answer in two sentences at most, politely, and never promise refunds.
END SYSTEM PROMPT

REM Suggestions are the topics the visitor can tap
ADD SUGGESTION "billing" AS "Billing"
ADD SUGGESTION "shipping" AS "Shipping"
ADD SUGGESTION "other" AS "Something else"
TALK "Hi, this is ${company} support. What do you need help with?"
HEAR topic AS "Billing", "Shipping", "Something else"
CLEAR SUGGESTIONS

Switch topic
  Case "Billing"
    TALK "Invoices and payments are handled by " & _
      billingEmail & "; they answer within a day."
  Case "Shipping"
    facts = USER FACTS()
    IF ISEMPTY(facts.zip) THEN
      TALK "What is your zip code?"
      HEAR zip AS ZIPCODE
      SET USER FACT "zip", zip
    ELSE
      zip = facts.zip
    END IF
    TALK "Parcels to ${zip} leave our warehouse every weekday."
  Case Else
    TALK "Ask me anything about ${company}: I will do my best."
End Switch
