--- request.lua — request/response over an IPC channel: child:request()
--- in the parent, process.handle() in the forked child, and the pending
--- object (wait / callback) that requests and pool jobs share.
---
--- The envelope (a Node.js peer speaks it too; see the README): ordinary
--- JSON messages whose top-level object has the reserved key "$cp".  They
--- are never delivered to `message` listeners.
---   {"$cp":"req","id":7,"data":V}            a request (no "data": nil)
---   {"$cp":"req","id":7,"batch":[V1,…,Vn]}   n requests in one message (pools;
---                                             null stands for nil)
---   {"$cp":"res","id":7,"data":R}            its reply
---   {"$cp":"res","id":7,"error":{"message":…,"code":…,"traceback":…}}
---   {"$cp":"res","id":7,"batch":[R1,…,Rn],"errors":{"2":{…}}}
---                                             a batch's replies, in order;
---                                             "errors" keyed by position
---   {"$cp":"ready"}                          the child's handler is in place
local core = require("child_process.core")
local util = require("child_process.util")
local scheduler = require("child_process.scheduler")
local compat = require("child_process.compat")
local math, xpcall = compat.math, compat.xpcall -- xpcall(f, h, args…) on 5.1 too

local argcheck, argerror, defer, mkerror = util.argcheck, util.argerror, util.defer, util.error
local null = core.json.null

local KEY = "$cp"
local M = { KEY = KEY }

-- cp.async's coroutines: wait() yields inside them (handlers run in them).
local async_threads = scheduler.async_threads

---------------------------------------------------------------------------
-- Pending: a request or a pool job.  done, err, result once settled.
---------------------------------------------------------------------------

local Pending = { __name = "child_process.Pending" }
Pending.__index = Pending
M.Pending = Pending

--- A pending answer; cb(err, result) runs once it is settled.
function M.pending(cb)
  return setmetatable({ _cb = cb, done = false }, Pending)
end

--- Settle: run the callback and wake the coroutines in wait().  The first
--- error a callback or waiter raises propagates once all have run.
function Pending:_settle(err, res)
  if self.done then return end
  self.done, self.err, self.result = true, err, res
  local t = self._timer
  if t then
    self._timer = nil
    t:close()
  end
  local waiters = self._waiters
  local cb = self._cb
  if not waiters then
    if cb then cb(err, res) end
    return
  end
  self._waiters = nil
  local first
  if cb then
    local ok, e = pcall(cb, err, res)
    if not ok then first = { e } end
  end
  local ok, e = pcall(scheduler.wake, waiters, err, res)
  if not ok then
    if first == nil then first = { e } else defer(error, e, 0) end
  end
  if first ~= nil then error(first[1], 0) end
end

--- Fail at once (wait() returns at once) but call the callback from the
--- loop, never from inside the call that created this.
function Pending:_fail_now(err)
  self.done, self.err = true, err
  local cb = self._cb
  if cb then defer(cb, err, nil) end
end

-- What scheduler.wait (ChildProcess:wait's) needs to know of a Pending.
local WAIT = {
  done = function(self) return self.done end,
  result = function(self) return self.err, self.result end,
  timed_out = function(ms)
    return mkerror("ETIMEDOUT", ("wait() timed out after %d ms (the request goes on)"):format(ms)), nil
  end,
  stuck = "wait(): the loop has no work left but nothing has answered",
}

--- wait([ms]) → err, result.  Yields inside cp.async and in a coroutine of
--- the scheduler given to cp.use_scheduler / cp.use_cqueues; runs the loop
--- elsewhere.  After `ms` without an answer: an ETIMEDOUT error (the
--- request itself goes on; wait again for it).  math.huge: no limit.
function Pending:wait(ms)
  return scheduler.wait(self, scheduler.timeout_arg(ms), WAIT)
end

---------------------------------------------------------------------------
-- Errors across the channel
---------------------------------------------------------------------------

--- The error value a handler's error becomes on the requesting side.
--- Every field the peer sent is kept (a Node peer's `stack` too).
function M.remote_error(e)
  if type(e) ~= "table" then
    return mkerror("ERR_HANDLER", tostring(e), { remote = true })
  end
  local fields = { remote = true }
  for k, v in pairs(e) do
    if type(k) == "string" then fields[k] = v end
  end
  if fields.traceback == nil and type(fields.stack) == "string" then fields.traceback = fields.stack end
  return mkerror(fields.code or "ERR_HANDLER", fields.message, fields)
end

-- xpcall's message handler in the child: keep the raised value and where.
local function caught(e)
  local m = type(e) == "table" and (rawget(e, "message") or tostring(e)) or tostring(e)
  return { raised = e, traceback = debug.traceback(tostring(m), 2) }
end

-- What a caught error becomes on the wire: message, code, traceback, and
-- the other plain fields of an error table.
local function wire_error(c)
  local e, out = c.raised, {}
  if type(e) == "table" then
    for k, v in pairs(e) do
      local t = type(v)
      if type(k) == "string" and (t == "string" or t == "number" or t == "boolean") then out[k] = v end
    end
    out.message = out.message or tostring(e)
  else
    out.message = tostring(e)
  end
  out.code = out.code or "ERR_HANDLER"
  out.traceback = c.traceback
  return out
end

---------------------------------------------------------------------------
-- The parent's end: child:request(value [, options] [, callback])
---------------------------------------------------------------------------

local function closed_error()
  return mkerror("ERR_IPC_CHANNEL_CLOSED", "Channel closed before the reply came")
end

-- Per child: next id and the requests awaiting a reply.  Installed on the
-- first request: the envelope hook (child_process.lua) and the disconnect
-- that fails whatever is still waiting.
local function state(child)
  local st = child._requests
  if st then return st end
  st = { next = 0, pending = {} }
  child._requests = st
  child._on_envelope = function(msg)
    if msg[KEY] ~= "res" then return end
    local p = st.pending[msg.id]
    if not p then return end -- timed out already: a reply never counts twice
    st.pending[msg.id] = nil
    local e = msg.error
    if e ~= nil and e ~= null then p:_settle(M.remote_error(e), nil) else p:_settle(nil, msg.data) end
  end
  child:on("disconnect", function()
    -- Every reply sent before the channel closed was delivered first.
    local list = {}
    for id, p in pairs(st.pending) do list[#list + 1] = { id, p } end
    table.sort(list, function(a, b) return a[1] < b[1] end)
    st.pending = {}
    for i = 1, #list do list[i][2]:_settle(closed_error(), nil) end
  end)
  return st
end

--- child:request(value [, options] [, callback]) → Pending.
--- options.timeout (ms): then the request ends with code ETIMEDOUT.
function M.request(child, value, opts, cb)
  if type(opts) == "function" and cb == nil then opts, cb = nil, opts end
  if opts ~= nil and type(opts) ~= "table" then
    argerror(2, "request", "options must be a table, got " .. type(opts))
  end
  if cb ~= nil and type(cb) ~= "function" then
    argerror(3, "request", "callback must be a function, got " .. type(cb))
  end
  local timeout = opts and opts.timeout
  if timeout ~= nil and not (type(timeout) == "number" and timeout >= 0 and timeout == timeout) then
    argerror(2, "request", "option 'timeout' must be a non-negative number, got " .. tostring(timeout))
  end
  -- (Sized once: id, done and result fit without growing the table.)
  local p = setmetatable({ _cb = cb, done = false, id = false }, Pending)
  -- (The child's fields directly: each through the userdata's __index
  -- would cost a C call per request.)
  local fields = core.fields(child)
  local ch = fields.connected and fields._channel
  if not ch then
    -- Still check the value, as send does: a bad value is the caller's bug.
    local ok, e = pcall(core.json.encode, value)
    if not ok then argerror(1, "request", "value cannot be encoded: " .. tostring(e)) end
    p:_fail_now(closed_error())
    return p
  end
  local st = fields._requests or state(child)
  local id = st.next + 1
  local res, err = ch:send({ [KEY] = "req", id = id, data = value })
  if res == nil then argerror(1, "request", "value cannot be encoded: " .. err) end
  st.next = id
  p.id = id
  st.pending[id] = p
  -- math.huge, and anything no timer can hold, is no limit (as spawn's).
  if timeout and timeout >= 2 ^ 53 then timeout = nil end
  if timeout and timeout > 0 then
    local t = core.timer()
    p._timer = t
    t:start(math.floor(timeout), 0, function()
      if st.pending[id] ~= p then return end
      st.pending[id] = nil
      p:_settle(mkerror("ETIMEDOUT", ("request timed out after %g ms"):format(timeout)), nil)
    end)
  end
  return p
end

---------------------------------------------------------------------------
-- The child's end: process.handle(fn)
---------------------------------------------------------------------------

local DONE = {} -- what a handler coroutine yields when it is free again

--- serve(send) → on_envelope(msg), set_handler(fn).  Each request runs
--- fn(data) in a coroutine (cp.async's kind: wait() yields in it); an
--- idle coroutine is reused, one whose handler is waiting is not.
--- `send(msg)` writes to the parent (nil, err for an unencodable value).
function M.serve(send)
  local handler
  local free = {}

  -- One reply; a value that cannot be encoded becomes an error reply.
  local function reply(msg)
    local ok, err = send(msg)
    if ok == nil then
      local why = { code = "ERR_REPLY_ENCODE", message = "reply cannot be encoded: " .. tostring(err) }
      if msg.batch then
        -- Find the items at fault; the others keep their results.
        local errors = msg.errors or {}
        for i = 1, #msg.batch do
          if not pcall(core.json.encode, msg.batch[i]) then
            msg.batch[i] = null
            errors[tostring(i)] = why
          end
        end
        msg.errors = errors
      else
        msg.data = nil
        msg.error = why
      end
      send(msg)
    end
  end

  local function body(msg)
    while true do
      local batch = msg.batch
      if batch then
        local results, errors = setmetatable({}, core.json.array_mt), nil
        for i = 1, #batch do
          local v = batch[i]
          if v == null then v = nil end
          local ok, r = xpcall(handler, caught, v)
          if ok then
            if r == nil then r = null end
            results[i] = r
          else
            results[i] = null
            errors = errors or {}
            errors[tostring(i)] = wire_error(r)
          end
        end
        reply({ [KEY] = "res", id = msg.id, batch = results, errors = errors })
      else
        local ok, r = xpcall(handler, caught, msg.data)
        if ok then
          reply({ [KEY] = "res", id = msg.id, data = r })
        else
          reply({ [KEY] = "res", id = msg.id, error = wire_error(r) })
        end
      end
      msg = coroutine.yield(DONE)
    end
  end

  local function on_envelope(msg)
    if msg[KEY] ~= "req" then return end
    local n = #free
    local co = free[n]
    if co then
      free[n] = nil
    else
      co = coroutine.create(body)
      async_threads[co] = true
    end
    local ok, tag = coroutine.resume(co, msg)
    if not ok then error(debug.traceback(co, tag), 0) end
    -- DONE: free again.  Otherwise its handler waits; whoever resumes it
    -- owns it from now on, and it is left to the GC when it is done.
    if tag == DONE then free[#free + 1] = co end
  end

  local function set_handler(fn)
    argcheck(type(fn) == "function", 1, "handle", "function expected, got " .. type(fn))
    local first = handler == nil
    handler = fn
    if first then send({ [KEY] = "ready" }) end
  end

  return on_envelope, set_handler
end

return M
