-- Portability (src/compat.c): which feature tests this build passed, the
-- POSIX fallbacks that `make test PORTABLE=1` forces on Linux, the
-- bin/lua-child launcher without `readlink -f`, and the libuv version check.
-- The rest of the suite runs on whichever paths the build took.
local H = require("helper")
local cp = H.cp
local core = H.core

local sh = H.sh -- out, exited 0

local function tmpdir()
  return (sh("mktemp -d"):gsub("%s+$", ""))
end

describe("portability", function()
  after_each(function() H.assert_clean() end)

  local features = core.features()
  local forced = os.getenv("CP_PORTABLE") == "1" -- set by `make test PORTABLE=1`

  it("takes every fallback in a PORTABLE=1 build and every Linux call otherwise", function()
    local want = not forced
    assert.are.same({
      pipe2 = want, sock_cloexec = want, pipe_size = want, spawn_chdir = want, spawn_setsid = want, portable = forced,
    }, features)
  end)

  it("spawns with cwd and detached on this build's path (posix_spawn or fork)", function()
    local dir = tmpdir()
    -- the process group from /proc/self/stat with shell builtins only (no ps:
    -- it hangs under `make asan`'s LD_PRELOAD)
    local c = cp.spawn("sh", { "-c", "pwd; read -r _ _ _ _ pgrp _ < /proc/$$/stat; echo $pgrp" },
      { cwd = dir, detached = true })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    local pwd, pgid = out():match("^(.-)\n%s*(%d+)")
    assert.are.equal(dir, pwd)
    assert.are.equal(c.pid, tonumber(pgid))
    -- a cwd that does not exist is still an error event with a code
    local bad = cp.spawn("true", {}, { cwd = dir .. "/none" })
    local err
    bad:on("error", function(e) err = e end)
    H.wait_close(bad)
    assert.are.equal("ENOENT", err and err.code)
    os.remove(dir)
  end)

  it("bin/lua-child finds its runtime through a relative symlink, with or without readlink -f", function()
    local dir = tmpdir()
    assert(H.execute("mkdir " .. dir .. "/bin && ln -s " .. H.root .. "/bin/lua-child " .. dir .. "/real"
      .. " && ln -s ../real " .. dir .. "/bin/lua-child"))
    local f = assert(io.open(dir .. "/s.lua", "w"))
    f:write('print("child", arg[1], process.connected)\n')
    f:close()
    for _, portable in ipairs({ "", "1" }) do
      local env = H.lua_env()
      env.CP_PORTABLE, env.CHILD_PROCESS_LUA = portable, H.lua
      local c = cp.spawn(dir .. "/bin/lua-child", { dir .. "/s.lua", "x" }, { env = env })
      local out, err = H.collect(c.stdout), H.collect(c.stderr)
      assert.are.equal(0, (H.wait_close(c)), err())
      assert.are.equal("child\tx\tfalse\n", out())
    end
    os.execute("rm -rf " .. dir)
  end)

  it("stops the build with a clear message below libuv 1.44", function()
    local dir = tmpdir()
    local f = assert(io.open(dir .. "/uv.h", "w"))
    f:write("#define UV_VERSION_HEX 0x012b00 /* 1.43.0 */\n")
    f:close()
    local out, ok = sh("cc -std=c99 -fsyntax-only -I" .. dir .. " -I/usr/include/lua5.4 " .. H.root
      .. "/src/buf.c 2>&1")
    os.execute("rm -rf " .. dir)
    assert.is_falsy(ok)
    -- the first error the user sees
    assert.matches("^[^\n]*child_process needs libuv >= 1.44", out:match("[^\n]*error:.*"))
  end)
end)
