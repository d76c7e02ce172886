-- (reserved) emails_sent: the mail a plan lets a user or team send each month.
select 1;
