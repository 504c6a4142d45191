--- tools/gen-api.lua — the API reference (doc/API.md) generated from its
--- one source of truth, the LuaLS annotations of lua/child_process/types.lua.
---
---   lua5.4 tools/gen-api.lua             write doc/API.md
---   lua5.4 tools/gen-api.lua --check     exit 1 when doc/API.md is stale
---   lua5.4 tools/gen-api.lua --names     print "Class<TAB>member<TAB>kind<TAB>type"
---                                        (spec/api_spec.lua compares them
---                                        with what the module exports)
local SOURCE = "lua/child_process/types.lua"
local TARGET = "doc/API.md"

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

--- Split "TYPE rest" where TYPE may hold spaces inside brackets
--- (`fun(err: cp.Error|nil): boolean`, `{ data: any }`).
local function split_type(s)
  local depth, i = 0, 1
  while i <= #s do
    local ch = s:sub(i, i)
    if ch:match("[%(%[{<]") then
      depth = depth + 1
    elseif ch:match("[%)%]}>]") then
      depth = depth - 1
      if depth == 0 then
        local ret = s:match("^:%s*", i + 1) -- fun(...): RET
        if ret then i = i + #ret end
      end
    elseif ch:match("%s") and depth == 0 then
      break
    end
    i = i + 1
  end
  return s:sub(1, i - 1), trim(s:sub(i))
end

--- Parse the annotations into { aliases = {...}, classes = {...} }.
local function parse(path)
  local aliases, classes, by_name, by_var = {}, {}, {}, {}
  local doc, pend = {}, { params = {}, returns = {}, overloads = {} }
  local class, alias, global_type
  local function reset()
    doc, pend = {}, { params = {}, returns = {}, overloads = {} }
  end
  local function method(owner_var, name, sep, args)
    local c = by_var[owner_var]
    if not c then error(path .. ": function of an unknown table " .. owner_var) end
    c.methods[#c.methods + 1] = {
      name = name, sep = sep, args = args, desc = table.concat(doc, " "),
      params = pend.params, returns = pend.returns, overloads = pend.overloads,
    }
    reset()
  end
  local n = 0
  for line in io.lines(path) do
    n = n + 1
    local text = line:match("^%-%-%-%s?(.*)$")
    if text and not text:match("^@") then
      if alias and text:match("^|") then
        local value, comment = text:match("^|%s*(.-)%s*#%s*(.*)$")
        alias.values[#alias.values + 1] = { value = value or trim(text:sub(2)), desc = comment or "" }
      else
        doc[#doc + 1] = text
      end
    elseif text then
      local tag, rest = text:match("^@(%w+)%s*(.*)$")
      if tag == "meta" then
        reset()
      elseif tag == "alias" then
        local name, def = rest:match("^(%S+)%s*(.*)$")
        local ty, comment = def:match("^(.-)%s*#%s*(.*)$")
        alias = { name = name, type = trim(ty or def), desc = table.concat(doc, " "), comment = comment or "",
          values = {} }
        aliases[#aliases + 1] = alias
        reset()
      elseif tag == "class" then
        local name, parent = rest:match("^([%w_.]+)%s*:?%s*([%w_.]*)")
        class = { name = name, parent = parent ~= "" and parent or nil, desc = table.concat(doc, " "),
          fields = {}, methods = {} }
        classes[#classes + 1] = class
        by_name[name] = class
        alias = nil
        reset()
      elseif tag == "field" then
        local name, tail = rest:match("^([%w_]+%??)%s+(.*)$")
        local ty, desc = split_type(tail or "")
        if not (class and name) then error(path .. ":" .. n .. ": @field outside a class") end
        class.fields[#class.fields + 1] = { name = name:gsub("%?$", ""), type = ty, desc = trim(desc),
          optional = name:match("%?$") ~= nil or ty:match("|nil$") ~= nil }
      elseif tag == "param" then
        local name, tail = rest:match("^([%w_.]+%??)%s+(.*)$")
        local ty, desc = split_type(tail)
        pend.params[#pend.params + 1] = { name = name, type = ty, desc = trim(desc) }
      elseif tag == "return" then
        local ty, desc = split_type(rest)
        pend.returns[#pend.returns + 1] = { type = ty, desc = trim(desc) }
      elseif tag == "overload" then
        pend.overloads[#pend.overloads + 1] = trim(rest)
      elseif tag == "type" then
        global_type = trim(rest)
      elseif tag ~= "generic" then -- a type parameter: @param/@return say it
        error(path .. ":" .. n .. ": unknown annotation @" .. tostring(tag))
      end
    else
      local var = line:match("^local%s+([%w_]+)%s*=%s*{}")
      local owner, sep, name, args = line:match("^function%s+([%w_]+)([.:])([%w_]+)%s*%((.-)%)")
      local owner2, name2, args2 = line:match('^([%w_]+)%["([%w_]+)"%]%s*=%s*function%s*%(self,?%s*(.-)%)')
      local gname = line:match("^([%w_]+)%s*=%s*nil")
      if var and class then
        by_var[var] = class
        reset()
      elseif owner then
        method(owner, name, sep, args)
      elseif owner2 then
        method(owner2, name2, ":", args2)
      elseif gname and global_type then
        local c = by_name[global_type]
        if c then c.global = gname end
        global_type = nil
        reset()
      elseif trim(line) == "" or line:match("^return") then
        reset()
        alias = nil
      end
    end
  end
  return { aliases = aliases, classes = classes, by_name = by_name }
end

--- Every documented member, inherited ones included.
local function members(api, c)
  local out, seen = {}, {}
  while c do
    for _, f in ipairs(c.fields) do
      if not seen[f.name] then
        seen[f.name] = true
        local kind = f.type:match("^fun%(") and "function" or "field"
        out[#out + 1] = { name = f.name, kind = kind, type = f.type, optional = f.optional, from = c.name }
      end
    end
    for _, m in ipairs(c.methods) do
      if not seen[m.name] then
        seen[m.name] = true
        out[#out + 1] = { name = m.name, kind = m.sep == ":" and "method" or "function", type = "", from = c.name }
      end
    end
    c = c.parent and api.by_name[c.parent]
  end
  return out
end

local function esc(s) return (s:gsub("|", "\\|")) end

local function render(api)
  local o = {}
  local function w(s) o[#o + 1] = s or "" end
  w("# API reference")
  w()
  w("Generated by `tools/gen-api.lua` from the LuaLS annotations in")
  w("[`lua/child_process/types.lua`](../lua/child_process/types.lua), its one")
  w("source: edit that file, then run `make api`. CI fails when this file is")
  w("stale or when it and the names the module exports disagree")
  w("(spec/api_spec.lua). The README shows the API by example.")
  w()
  w("## Contents")
  w()
  for _, c in ipairs(api.classes) do
    w(("- [`%s`](#%s)%s"):format(c.name, c.name:lower():gsub("[^%w_-]", ""), c.global and
      (" — the global `" .. c.global .. "` of a forked child") or ""))
  end
  w("- [Types](#types)")
  for _, c in ipairs(api.classes) do
    w()
    w("## " .. c.name)
    w()
    if c.parent then
      w("Inherits the fields and methods of [`" .. c.parent .. "`](#" .. c.parent:lower():gsub("[^%w_-]", "") .. ").")
      w()
    end
    if c.global then w("The global `" .. c.global .. "`: " .. c.desc) w() end
    if c.desc ~= "" and not c.global then w(c.desc) w() end
    if #c.fields > 0 then
      w("| field | type | |")
      w("|---|---|---|")
      for _, f in ipairs(c.fields) do
        w(("| `%s` | `%s` | %s |"):format(f.name, esc(f.type), esc(f.desc)))
      end
      w()
    end
    local prefix = c.name == "child_process" and "cp" or c.name:gsub("^cp%.", ""):gsub("^%u", string.lower)
    for _, m in ipairs(c.methods) do
      if m.name == "end" then -- a keyword: obj["end"](obj, ...)
        w(("### `%s[\"end\"](%s%s)`"):format(prefix, prefix, m.args ~= "" and (", " .. m.args) or ""))
      else
        w(("### `%s%s%s(%s)`"):format(prefix, m.sep, m.name, m.args))
      end
      w()
      if m.desc ~= "" then w(m.desc) w() end
      for _, p in ipairs(m.params) do
        w(("- `%s`: `%s`%s"):format(p.name, p.type, p.desc ~= "" and (" — " .. p.desc) or ""))
      end
      for _, r in ipairs(m.returns) do
        w(("- returns `%s`%s"):format(r.type, r.desc ~= "" and (" " .. r.desc) or ""))
      end
      for _, ov in ipairs(m.overloads) do w("- also `" .. ov .. "`") end
      if #m.params + #m.returns + #m.overloads > 0 then w() end
    end
  end
  w()
  w("## Types")
  for _, a in ipairs(api.aliases) do
    w()
    w(("### `%s`"):format(a.name))
    w()
    if a.desc ~= "" then w(a.desc) w() end
    if a.type ~= "" then w("`" .. a.type .. "`" .. (a.comment ~= "" and (" — " .. a.comment) or "")) w() end
    for _, v in ipairs(a.values) do
      w(("- `%s`%s"):format(v.value, v.desc ~= "" and (" — " .. v.desc) or ""))
    end
    if #a.values > 0 then w() end
  end
  return (table.concat(o, "\n"):gsub("\n\n\n+", "\n\n"):gsub("\n\n+$", "\n"))
end

local api = parse(SOURCE)
local mode = arg[1]
if mode == "--names" then
  for _, c in ipairs(api.classes) do
    for _, m in ipairs(members(api, c)) do
      print(table.concat({ c.name, m.name, m.kind, m.optional and "optional" or "required" }, "\t"))
    end
  end
  for _, a in ipairs(api.aliases) do
    for _, v in ipairs(a.values) do print(table.concat({ a.name, v.value, "value", "required" }, "\t")) end
  end
elseif mode == "--check" then
  local f = io.open(TARGET, "r")
  local old = f and f:read("*a")
  if f then f:close() end
  if old ~= render(api) then
    io.stderr:write(TARGET .. " is stale: run `make api` (tools/gen-api.lua) and commit it\n")
    os.exit(1)
  end
  print(TARGET .. " is up to date with " .. SOURCE)
else
  local f = assert(io.open(TARGET, "w"))
  f:write(render(api))
  f:close()
  print("wrote " .. TARGET)
end
