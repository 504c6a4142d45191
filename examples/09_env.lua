-- cp.env(overrides): the current environment with some variables set
-- and others removed (false), for options.env.
local cp = require("child_process")

local env = cp.env({ GREETING = "hello", LANG = "C", HOME = false })
local c = cp.spawn("sh", { "-c", 'echo "$GREETING, LANG=$LANG, HOME=${HOME-unset}"' },
  { env = env, stdio = "inherit" })
c:wait()
