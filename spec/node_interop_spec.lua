-- Interop with the real Node.js: a Lua parent forking a Node script, and a
-- Node parent forking a Lua script (bootstrap, or the bin/lua-child launcher).
local H = require("helper")
local cp = H.cp
local F = H.fixtures
local NODE = "node"

-- The environment a Node user has: no LUA_PATH / LUA_CPATH pointing at us.
local function plain_env()
  local env = H.core.environ()
  env.LUA_PATH, env.LUA_CPATH, env.CHILD_PROCESS_LUA_CPATH = nil, nil, nil
  return env
end

local function node_child(args)
  local c = cp.fork(F .. "node_echo.js", args or {}, { execPath = NODE, silent = true })
  local msgs = {}
  c:on("message", function(m) msgs[#msgs + 1] = m end)
  return c, msgs
end

describe("Node.js interop", function()
  after_each(function() H.assert_clean() end)

  describe("a Lua parent forking a Node.js script", function()
    it("starts node without the bootstrap and exchanges nested values both ways", function()
      local c, msgs = node_child({ "x", "y z" })
      assert.are.same({ NODE, F .. "node_echo.js", "x", "y z" }, c.spawnargs)
      H.run_until(function() return #msgs >= 1 end, 20000, "node ready")
      assert.are.same({ ready = true }, msgs[1])
      local sent = {
        nested = { list = { 1, 2, { deep = { "a", cp.json.null } } }, map = { k = "v" } },
        empty_array = cp.json.empty_array,
        empty_object = {},
        null = cp.json.null,
        int = 42,
        neg = -7,
        float = 1.5,
        big = 2 ^ 40,
        str = "é\n\"q\"\0",
        yes = true,
      }
      c:send(sent)
      H.run_until(function() return #msgs >= 2 end, 20000, "node echo")
      local r = msgs[2]
      assert.are.same({ "x", "y z" }, r.argv)
      -- what node saw
      assert.are.same({
        nested = { list = { "integer", "integer", { deep = { "string", "null" } } }, map = { k = "string" } },
        empty_array = {}, empty_object = {}, null = "null", int = "integer", neg = "integer",
        float = "float", big = "integer", str = "string", yes = "boolean",
      }, r.types)
      assert.are.equal(cp.json.array_mt, getmetatable(r.types.empty_array))
      assert.are.equal(nil, getmetatable(r.types.empty_object))
      -- what came back
      local e = r.echo
      assert.are.same(sent.nested, e.nested)
      assert.are.equal("[]", cp.json.encode(e.empty_array))
      assert.are.equal("{}", cp.json.encode(e.empty_object))
      assert.are.equal(cp.json.null, e.null)
      assert.are.equal("integer", H.compat.mathtype(e.int))
      assert.are.equal(42, e.int)
      assert.are.equal("float", H.compat.mathtype(e.float))
      assert.are.equal(1.5, e.float)
      -- JavaScript has one number type: 2^40 (a Lua float) comes back integral
      assert.are.equal(2 ^ 40, e.big)
      assert.are.equal(sent.str, e.str)
      assert.is_true(e.yes)
      c:send("exit")
      assert.are.equal(0, (H.wait_close(c, 20000)))
    end)

    it("delivers a burst from node in order; node's disconnect reaches us", function()
      local c, msgs = node_child()
      local disc = false
      c:on("disconnect", function() disc = true end)
      H.run_until(function() return #msgs >= 1 end, 20000, "node ready")
      c:send({ cmd = "burst", n = 3000 })
      assert.are.equal(0, (H.wait_close(c, 20000)))
      assert.is_true(disc)
      assert.are.equal(3001, #msgs)
      for i = 1, 3000 do
        if msgs[i + 1].seq ~= i then error("message " .. i .. " is " .. tostring(msgs[i + 1].seq)) end
      end
    end)

    it("our disconnect() reaches node, which then exits by itself", function()
      local c, msgs = node_child()
      local out = H.collect(c.stdout)
      H.run_until(function() return #msgs >= 1 end, 20000, "node ready")
      for i = 1, 3 do c:send({ cmd = "log", text = "before disconnect " .. i }) end
      c:disconnect()
      assert.is_false(c.connected)
      assert.are.equal(0, (H.wait_close(c, 20000)))
      assert.are.equal("log: before disconnect 1\nlog: before disconnect 2\nlog: before disconnect 3\n"
        .. "node child: disconnect\n", out())
    end)

    it("node's own disconnect on request", function()
      local c, msgs = node_child()
      local disc = false
      c:on("disconnect", function() disc = true end)
      H.run_until(function() return #msgs >= 1 end, 20000, "node ready")
      c:send({ cmd = "disconnect-me" })
      assert.are.equal(0, (H.wait_close(c, 20000)))
      assert.is_true(disc)
    end)
  end)

  describe("a Node.js parent forking a Lua script", function()
    local function run_node_parent(exec_path, exec_argv0, script)
      local c = cp.execFile(NODE, { F .. "node_parent.js", exec_path, exec_argv0, script },
        { env = plain_env(), timeout = 60000 })
      local err, stdout, stderr = c:wait()
      assert.is_nil(err, tostring(err) .. "\n" .. tostring(stderr))
      return stdout, stderr
    end

    it("works with execPath = lua5.4 and execArgv = { bootstrap_path() }", function()
      local out, err = run_node_parent(H.lua, cp.bootstrap_path(), F .. "node_lua_child.lua")
      assert.are.equal("VERDICT OK messages=1002\n", out, err)
    end)

    it("works with execPath = bin/lua-child (the launcher)", function()
      local out, err = run_node_parent(H.launcher, "-", F .. "node_lua_child.lua")
      assert.are.equal("VERDICT OK messages=1002\n", out, err)
    end)

    it("reports a failing Lua child to the Node parent", function()
      -- the same parent against a script that never answers correctly:
      -- proves the verdict is really checked
      local out = run_node_parent(H.lua, cp.bootstrap_path(), F .. "fork_nothing.lua")
      assert.matches("VERDICT FAIL got 0 of 1000", out, 1, true)
    end)
  end)

  describe("handles (Node's NODE_HANDLE protocol)", function()
    it("a Node.js child forked from Lua receives a MessagePort as a net.Socket and speaks on it", function()
      local fds_before = H.fd_count()
      local c = cp.fork(F .. "node_handle_child.js", {}, { execPath = NODE })
      local msgs = {}
      c:on("message", function(m) msgs[#msgs + 1] = m end)
      H.run_until(function() return #msgs == 1 end, 20000, "node ready")
      local ports = {}
      for n = 1, 3 do -- three in a row: one in flight, two queued behind it
        local a, b = cp.MessageChannel()
        ports[n] = a
        c:send({ cmd = "socket", n = n }, b)
      end
      H.run_until(function() return #msgs == 4 end, 20000, "node's reports")
      for n = 1, 3 do assert.are.same({ got = "Socket", n = n }, msgs[n + 1]) end
      local got = {}
      for n = 1, 3 do
        ports[n]:on("message", function(e) got[#got + 1] = e.data end)
        ports[n]:postMessage({ value = n, list = { 1, 2 } })
      end
      H.run_until(function() return #got == 3 end, 20000, "echoes through node")
      table.sort(got, function(x, y) return x.n < y.n end)
      for n = 1, 3 do
        assert.are.same({ echo = { value = n, list = { 1, 2 } }, from = "node", n = n }, got[n])
      end
      local closed = 0
      for n = 1, 3 do
        ports[n]:on("close", function() closed = closed + 1 end)
        ports[n]:close() -- node sees end, ends its side
      end
      H.run_until(function() return closed == 3 end, 20000, "closes")
      c:send("exit")
      assert.are.equal(0, (H.wait_close(c, 20000)))
      H.assert_fds_back_to(fds_before)
    end)

    it("a Node.js child gets a stream of this module (an accepted connection) as a net.Socket", function()
      local c = cp.fork(F .. "node_handle_child.js", {}, { execPath = NODE })
      local msgs = {}
      c:on("message", function(m) msgs[#msgs + 1] = m end)
      H.run_until(function() return #msgs == 1 end, 20000, "node ready")
      local path = os.tmpname()
      os.remove(path)
      local server = assert(cp.net.listen(path, function(conn) c:send({ cmd = "socket", n = 7 }, conn) end))
      local client = assert(cp.net.connect(path))
      local got = H.collect(client)
      client:write('{"q":1}\n')
      H.run_until(function() return got():find("\n") ~= nil end, 20000, "node's answer")
      assert.are.same({ got = "Socket", n = 7 }, msgs[2])
      assert.are.same({ echo = { q = 1 }, from = "node", n = 7 }, cp.json.decode(got()))
      client:destroy()
      server:close()
      c:send("exit")
      assert.are.equal(0, (H.wait_close(c, 20000)))
    end)

    it("a Node.js parent's send(msg, socket) reaches a Lua child as a stream it reads and writes", function()
      local path = os.tmpname()
      os.remove(path)
      local c = cp.execFile(NODE, { F .. "node_handle_parent.js", H.lua, cp.bootstrap_path(),
        F .. "node_handle_lua_child.lua", path }, { env = plain_env(), timeout = 60000 })
      local err, stdout, stderr = c:wait()
      os.remove(path)
      assert.is_nil(err, tostring(err) .. "\n" .. tostring(stderr))
      assert.are.equal("VERDICT OK socket\n", stdout, stderr)
    end)
  end)
end)

