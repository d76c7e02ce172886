-- A bot's ON and WEBHOOK scripts (General Bots' event handlers) are tools whose script declares
-- them; what it declares is kept in the tool's metadata ({"on": [{"table", "events"}], "webhook"}).
-- A webhook name answers one script of the bot, and a table change looks up its handlers by bot.
create unique index basic_tools_bot_webhook on conversation.basic_tools (bot_id, (metadata ->> 'webhook'))
  where metadata ->> 'webhook' is not null;
create index basic_tools_bot_handlers on conversation.basic_tools using gin ((metadata -> 'on'))
  where metadata ? 'on';
