-- The release artefacts agree with each other and with the built module:
-- cp._VERSION, the versioned rockspec, CHANGELOG.md, the rockspecs' module
-- lists, and the symbols the shared object exports.
local H = require("helper")
local cp = H.cp

local function read(path)
  local f = assert(io.open(H.root .. "/" .. path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

local sh = H.sh -- out, exited 0

-- A rockspec is Lua assignments: run it in an empty environment.
local function rockspec(path)
  local env = {}
  local code = read(path)
  local chunk
  local setfenv = rawget(_G, "setfenv")
  if setfenv then -- Lua 5.1 / LuaJIT
    chunk = assert(rawget(_G, "loadstring")(code, path))
    setfenv(chunk, env)
  else
    chunk = assert(load(code, path, "t", env))
  end
  chunk()
  return env
end

local function lua_files()
  local names = {}
  local out = sh("ls " .. H.root .. "/lua/child_process/")
  for f in out:gmatch("[^\n]+") do
    if f:match("%.lua$") then names[#names + 1] = f end
  end
  return names
end

describe("release", function()
  local version = cp._VERSION

  it("has a semantic _VERSION matching the versioned rockspec, its tag and CHANGELOG.md", function()
    assert.is_string(version)
    assert.matches("^%d+%.%d+%.%d+$", version)
    local rs = rockspec("rockspec/child_process-" .. version .. "-1.rockspec")
    assert.are.equal("child_process", rs.package)
    assert.are.equal(version .. "-1", rs.version)
    assert.are.equal("v" .. version, rs.source.tag)
    assert.matches("^git%+https://", rs.source.url)
    assert.matches("\n## %[" .. version:gsub("%.", "%%.") .. "%] %- %d%d%d%d%-%d%d%-%d%d\n", read("CHANGELOG.md"))
    assert.matches("MIT License", read("LICENSE"), 1, true)
  end)

  for _, name in ipairs({ "child_process-scm-1.rockspec", "child_process-" .. version .. "-1.rockspec" }) do
    it(name .. " installs every Lua file, the header and the launcher, and has a test section", function()
      local rs = rockspec("rockspec/" .. name)
      assert.are.equal("MIT", rs.description.license)
      assert.matches("^https://", rs.description.homepage)
      assert.truthy(rs.description.homepage and read("README.md"):find(rs.description.homepage, 1, true),
        "README names the homepage")
      assert.is_table(rs.supported_platforms)
      assert.is_truthy(rs.test and rs.test.script)
      assert.is_truthy(io.open(H.root .. "/" .. rs.test.script)):close()
      local installed = {}
      for _, file in pairs(rs.build.modules) do
        if type(file) == "string" then installed[file] = true end
      end
      for _, f in ipairs(lua_files()) do
        assert.is_true(installed["lua/child_process/" .. f] == true, "rockspec misses lua/child_process/" .. f)
      end
      for _, src in ipairs(rs.build.modules["child_process.core"].sources) do
        assert.is_truthy(io.open(H.root .. "/" .. src), "no " .. src):close()
      end
      local c_files = sh("ls " .. H.root .. "/src/*.c")
      local n = 0
      for _ in c_files:gmatch("[^\n]+") do n = n + 1 end
      assert.are.equal(n, #rs.build.modules["child_process.core"].sources, "every src/*.c is built")
      assert.are.same({ "include" }, rs.build.copy_directories)
      assert.are.equal("bin/lua-child", rs.build.install.bin["lua-child"])
    end)
  end

  describe("exported symbols", function()
    local so = H.compat.searchpath("child_process.core", package.cpath)
    local header = read("include/child_process.h")
    local public = {}
    for name in header:gmatch("\nCP_EXPORT[^;(]-([%w_]+)%s*%(") do public[name] = true end

    local function exported()
      local out, ok = sh("nm -D --defined-only " .. so .. " 2>&1")
      assert.is_truthy(ok, out)
      local syms = {}
      for kind, name in out:gmatch("%x+ (%a) ([%w_@.]+)") do
        if kind:match("[TtDdBbRrWwVv]") then syms[name] = kind end
      end
      return syms
    end

    it("are luaopen_* and the functions of include/child_process.h only", function()
      local syms = exported()
      assert.are.equal("T", syms.luaopen_child_process_core)
      for name in pairs(syms) do
        assert.is_true(name:match("^luaopen_") ~= nil or public[name] == true,
          so .. " exports " .. name .. ", which include/child_process.h does not declare")
      end
    end)

    it("include every function include/child_process.h declares", function()
      local syms = exported()
      local src = sh("cat " .. H.root .. "/src/*.c")
      for name in pairs(public) do
        if not src:find("\n[%w_ *]-" .. name .. "%s*%(lua_State") then
          pending(name .. " is declared in include/child_process.h but not defined in src/ yet")
        else
          assert.are.equal("T", syms[name], name .. " is not exported")
        end
      end
    end)

    it("include/child_process.h compiles on its own", function()
      -- Any lua.h will do: the point is that the header includes what it uses.
      local out, ok = sh("echo '#include \"child_process.h\"' | cc -std=c99 -D_POSIX_C_SOURCE=200809L"
        .. " -Wall -Wextra -Werror -fsyntax-only -I" .. H.root .. "/include -I/usr/include/lua5.4 -x c - 2>&1")
      assert.is_truthy(ok, out)
    end)
  end)
end)
