' CRM sync (General Bots style): a lead met in the chat goes to the company's CRM over its REST and
' GraphQL API. The CRM's address and key come from config.csv (param-crm, param-crmKey); the
' server must be one the operator lets scripts reach.
SET HEADER "X-Api-Key", crmKey

TALK "Which company are you from?"
HEAR company
TALK "And your email?"
HEAR email AS EMAIL

REM Create or replace the contact, then move it along the pipeline
contact = PUT crm + "/contacts/" + email, {"email": email, "company": company}
PATCH crm + "/contacts/" + email, {"stage": "qualified"}

REM What the CRM already knows about the account, in one GraphQL query
found = GRAPHQL crm + "/graphql", _
  "query($name: String!) { account(name: $name) { owner deals } }", {"name": company}

IF ISEMPTY(found.account) THEN
  TALK "Thanks! You are the first one from " & company & "; we will be in touch."
ELSE
  TALK "Thanks! " & found.account.owner & " looks after " & company & _
    " (" & found.account.deals & " open deals) and will write to " & contact.email & "."
END IF

REM The lead's trial cart is no longer needed
DELETE HTTP crm + "/carts/" + email
CLEAR HEADERS
