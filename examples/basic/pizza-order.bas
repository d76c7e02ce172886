' Ordering dialog: menus with options, a running cart, and a loop until the customer is done.
' Run it: pnpm basic run examples/basic/pizza-order.bas

FUNCTION Price(size)
  SELECT CASE size
    CASE "Small"
      Price = 8
    CASE "Medium"
      Price = 11.5
    CASE ELSE
      Price = 14
  END SELECT
END FUNCTION

SUB ShowCart(cart)
  total = 0
  FOR EACH item IN cart
    TALK "- " & item.size & " " & item.flavour & ": " & FORMAT(item.price, "$0.00")
    total = total + item.price
  NEXT
  TALK "Total: " & FORMAT(total, "$0.00")
END SUB

cart = []
DO
  TALK "Which flavour would you like?"
  HEAR flavour AS "Margherita", "Pepperoni", "Veggie"
  TALK "What size?"
  HEAR size AS "Small", "Medium", "Large"
  cart[LEN(cart)] = {"flavour": flavour, "size": size, "price": Price(size)}
  TALK "Anything else?"
  HEAR more AS BOOLEAN
LOOP WHILE more

CALL ShowCart(cart)
TALK "Where should we deliver? Your zip code, please."
HEAR zip AS ZIPCODE
TALK "And a mobile number the driver can call?"
HEAR phone AS MOBILE
TALK "Thanks! ${LEN(cart)} pizza(s) on the way to ${zip}. We will call ${phone} on arrival."
