--- luv_static_spec.lua — SPEC §6: beside luv built the LuaRocks way (cmake,
--- its own static libuv: build/deps/luv-static/luv.so, from
--- tools/build-matrix), the process holds two libuv copies.  Loaded before
--- and after this module, whichever spawns first, both spawning at once:
--- every exit is seen by both, wait() and exec timeouts complete, no zombie;
--- also with the pidfd-less fallback forced.  Each case runs in a fresh
--- interpreter (fixtures/luv_static_both.lua), so that luv's signal handler
--- never reaches this busted process.
local H = require("helper")
local cp = H.cp

local LUV_DIR = H.root .. "/build/deps/luv-static"

-- The sources it is built from (../shared/deps, as the Makefile's DEPS):
-- a checkout without them cannot build this luv, and the cases are pending
-- there, saying so; with them, a missing build fails.
local function have_sources()
  for _, d in ipairs({ H.root .. "/../shared/deps", H.root .. "/../../shared/deps" }) do
    local f = io.open(d .. "/luv-1.52.1-0.tar.gz")
    if f then f:close() return true end
  end
  return false
end

local function run_case(load_first, spawn_first, extra_env)
  if not H.lua54 then
    pending("needs Lua 5.4: the matrix's LuaRocks-style luv is built for Lua 5.4 only (tools/build-matrix)")
  end
  local f = io.open(LUV_DIR .. "/luv.so")
  if f then
    f:close()
  elseif not have_sources() then
    pending("no ../shared/deps here: the LuaRocks-style luv cannot be built (CI builds it)")
  end
  if not H.checkout_file(LUV_DIR .. "/luv.so", "make deps-matrix", pending) then return nil end
  local env = H.lua_env()
  env.CP_LUV_STATIC_DIR = LUV_DIR
  env.LOAD_FIRST = load_first
  env.SPAWN_FIRST = spawn_first
  for k, v in pairs(extra_env or {}) do env[k] = v end
  local c = cp.spawn(H.lua, { H.fixtures .. "luv_static_both.lua" }, { env = env, timeout = 60000 })
  local out, err = H.collect(c.stdout), H.collect(c.stderr)
  local code, sig = H.wait_close(c, 90000)
  local got = {}
  for k, v in out():gmatch("([^\n]-): ([^\n]*)") do got[k] = v end
  return got, err(), code, sig
end

local WANT = {
  ["luv is the static build"] = "true",
  ["module links a shared libuv"] = "true",
  ["module first child"] = "6 nil",
  ["luv first child"] = "5 0",
  ["module closes"] = "20 of 20",
  ["luv exits"] = "10 of 10",
  ["spawn('true'):wait(2000)"] = "0 nil",
  ["exec timeout"] = "true SIGTERM",
  ["luv last child"] = "5 0",
  ["use_luv refuses, naming the bridge"] = "true",
  ["zombies"] = "0",
}

describe("beside a LuaRocks-style luv (its own static libuv)", function()
  after_each(function() H.assert_clean() end)

  for _, fallback in ipairs({ false, true }) do
    for _, load_first in ipairs({ "luv", "cp" }) do
      for _, spawn_first in ipairs({ "luv", "cp" }) do
        local name = ("%s loaded first, %s spawns first%s"):format(load_first == "cp" and "the module" or "luv",
          spawn_first == "cp" and "the module" or "luv", fallback and ", pidfd-less fallback forced" or "")
        it(name .. ": every exit seen by both, no zombie", function()
          local got, err, code, sig = run_case(load_first, spawn_first,
            fallback and { LUA_CHILD_PROCESS_NO_PIDFD = "1" } or nil)
          assert.are.same(WANT, got)
          assert.are.equal("", err)
          assert.is_nil(sig)
          assert.are.equal(0, code)
        end)
      end
    end
  end
end)
