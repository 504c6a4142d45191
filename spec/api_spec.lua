-- doc/API.md, generated from lua/child_process/types.lua by
-- tools/gen-api.lua, is up to date, and names exactly what the module
-- exports: every public name has a doc entry and every doc entry exists
-- (a field typed `|nil` or `?` may be absent).  Private names start with _.
local H = require("helper")
local cp = H.cp
local core = H.core
local Emitter = require("child_process.emitter")
local stream = require("child_process.stream")

local sh = H.sh -- out, exited 0

local function tool(flag)
  return sh("cd " .. H.root .. " && " .. H.lua .. " tools/gen-api.lua " .. flag .. " 2>&1")
end

-- documented[class][name] = { kind =, optional = }
local documented = {}
do
  local out = assert(tool("--names"))
  for class, name, kind, opt in out:gmatch("([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\n") do
    documented[class] = documented[class] or {}
    documented[class][name] = { kind = kind, optional = opt == "optional" }
  end
end

-- Public names of t and of the tables its metatables' __index chain to.
local function names(t, into)
  local out = into or {}
  local seen = {}
  while type(t) == "table" and not seen[t] do
    seen[t] = true
    for k in pairs(t) do
      if type(k) == "string" and not k:match("^_") then out[k] = true end
    end
    local mt = getmetatable(t)
    t = mt and type(mt.__index) == "table" and mt.__index or nil
  end
  return out
end

local function list(set)
  local out = {}
  for k in pairs(set) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function agree(class, real)
  local doc = documented[class]
  assert.is_table(doc, class .. " has no doc entry")
  local undocumented, missing = {}, {}
  for name in pairs(real) do
    if not doc[name] then undocumented[#undocumented + 1] = name end
  end
  for name, d in pairs(doc) do
    if not real[name] and not d.optional then missing[#missing + 1] = name end
  end
  table.sort(undocumented)
  table.sort(missing)
  assert.are.same({}, undocumented, class .. ": exported but not in doc/API.md")
  assert.are.same({}, missing, class .. ": in doc/API.md but not exported")
end

describe("API reference", function()
  after_each(function() H.assert_clean() end)

  it("doc/API.md is what tools/gen-api.lua makes of types.lua", function()
    local out, ok = tool("--check")
    assert.is_truthy(ok, out)
  end)

  it("documents every function of the module table, and nothing else", function()
    local real = names(cp)
    real._VERSION = true
    -- the lazily loaded ones, from init.lua's table of them
    local index = getmetatable(cp).__index
    local lazy
    for i = 1, 50 do
      local name, value = debug.getupvalue(index, i)
      if name == nil then break end
      if name == "LAZY" then lazy = value end
    end
    assert.is_table(lazy, "init.lua's LAZY table")
    for k in pairs(lazy) do real[k] = true end
    agree("child_process", real)
  end)

  it("documents the emitter, ChildProcess (methods and fields) and its streams", function()
    agree("cp.Emitter", names(Emitter))
    local c = cp.spawn("sh", { "-c", "exit 0" }, { stdio = { "pipe", "pipe", "pipe" } })
    local fields = names(core.fields(c))
    local out, inp = names(c.stdout), names(c.stdin)
    H.wait_close(c)
    agree("ChildProcess", names(cp.ChildProcess, fields))
    agree("cp.Readable", names(stream.Readable, out))
    agree("cp.Writable", names(stream.Writable, inp))
  end)

  it("documents cp.json and the spawnSync result", function()
    agree("cp.Json", names(cp.json))
    local ok_run, failed = cp.spawnSync("true"), cp.spawnSync("no_such_command_cp_api")
    agree("cp.SpawnSyncResult", names(failed, names(ok_run)))
  end)

  it("documents the forked child's process and parentPort", function()
    local c = cp.fork(H.fixtures .. "api_names.lua", {}, { env = H.lua_env() })
    local got
    c:on("message", function(m) got = m end)
    assert.are.equal(0, (H.wait_close(c, 20000)))
    assert.is_true(got.cp_parentPort)
    local set = {}
    for _, k in ipairs(got.process) do set[k] = true end
    agree("cp.Process", set)
    set = {}
    for _, k in ipairs(got.port) do set[k] = true end
    agree("cp.ParentPort", set)
  end)

  it("documents options that each function really reads, and every option the sources read", function()
    -- A value no option accepts: each documented option must be refused
    -- naming it (so it is read, not silently ignored).
    local bad = coroutine.create(function() end)
    local call = {
      ["cp.SpawnOptions"] = function(o) return cp.spawn("true", {}, o) end,
      ["cp.ExecOptions"] = function(o) return cp.execFile("true", {}, o) end,
      ["cp.SyncOptions"] = function(o) return cp.spawnSync("true", {}, o) end,
      ["cp.ForkOptions"] = function(o) return cp.fork(H.fixtures .. "fork_nothing.lua", {}, o) end,
    }
    local all = {}
    for class, fn in pairs(call) do
      for name in pairs(documented[class]) do
        all[name] = true
        local ok, err = pcall(fn, { [name] = bad })
        assert.is_false(ok, class .. "." .. name .. " was ignored")
        assert.matches("option '" .. name, tostring(err), 1, true)
      end
    end
    local src = sh("cat " .. H.root .. "/lua/child_process/options.lua " .. H.root .. "/lua/child_process/exec.lua "
      .. H.root .. "/lua/child_process/sync.lua " .. H.root .. "/lua/child_process/fork.lua")
    local read = {}
    for name in src:gmatch("option '([%w_]+)") do read[name] = true end
    for name in src:gmatch('opt_%w+%(o, "([%w_]+)"') do read[name] = true end
    local undocumented = {}
    for name in pairs(read) do
      if not all[name] then undocumented[#undocumented + 1] = name end
    end
    assert.are.same({}, undocumented)
  end)

  it("lists every ERR_ code the sources raise", function()
    -- every source but types.lua, the doc's own source
    local src = sh("ls " .. H.root .. "/lua/child_process/*.lua " .. H.root .. "/src/*.c | grep -v /types.lua$"
      .. " | xargs cat")
    local real = {}
    for code in src:gmatch('"(ERR_[A-Z_]+)"') do real['"' .. code .. '"'] = true end
    local doc = {}
    for v in pairs(documented["cp.ErrorCode"] or {}) do
      if v:match('^"ERR_') then doc[v] = true end
    end
    assert.are.same(list(real), list(doc))
  end)
end)
