' Shipping quote (General Bots style): the carrier offers a SOAP service; its WSDL's address comes
' from config.csv (param-carrierWsdl). The parcel's weight is weighed in the chat, the price
' comes from the carrier and a little JavaScript rounds it up to the shop's price steps.
TALK "How many kilos does your parcel weigh?"
HEAR kilos AS NUMBER
TALK "To which zip code?"
HEAR zip AS ZIPCODE

rate = SOAP carrierWsdl, "GetRate", {"weight": kilos, "zip": zip}
price = RUN JAVASCRIPT "Math.ceil(input.amount / 0.5) * 0.5", {"amount": rate.amount}

TALK "Shipping to " & zip & " costs " & FORMAT(price, "#,##0.00") & " " & rate.currency & _
  " and takes " & rate.days & " days."
