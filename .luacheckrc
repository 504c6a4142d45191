-- luacheck configuration: Lua 5.4, busted globals in spec/, the forked
-- child's documented `process` global in fixtures.
std = "lua54"
max_line_length = 120
files["spec"] = { std = "+busted" }
files["spec/fixtures"] = { globals = { "process" } }
files["spec/node/fixtures"] = { globals = { "process" } }
files["examples"] = { globals = { "process" } }
files["lua/child_process/bootstrap.lua"] = { globals = { "arg", "process" } }
files["bench"] = { globals = { "process" } }
-- A LuaLS ---@meta file: declarations only, never run.
files["lua/child_process/types.lua"] = { ignore = { "211", "212", "213", "241", "111", "112", "113", "122", "131", "631" } }
