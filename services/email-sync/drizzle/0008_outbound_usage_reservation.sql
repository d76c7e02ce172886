-- (reserved) What a send reserved of its payer's emails_sent, so a send that fails for good gives it back.
select 1;
