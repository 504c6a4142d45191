--- scheduler.lua — the one wait() of the module (ChildProcess:wait and the
--- wait of requests and pool jobs, request.lua): it yields inside cp.async,
--- yields to another coroutine scheduler (SPEC §6 "Other schedulers": the
--- hook a scheduler installs with cp.use_scheduler{running, wait, wake},
--- and cp.use_cqueues, built on that hook), and runs the loop elsewhere.
---
--- Under a scheduler, a waiting coroutine drives the loop itself:
--- run("nowait"), then hand the scheduler a pollable (the loop's backend
--- fd, and the time until its next timer) and yield until it is ready.
--- Several coroutines may wait at once on the same fd; whichever runs the
--- loop first settles the others' objects too, and wakes their waits
--- through hook.wake, so a coroutine whose object was settled by another's
--- loop pass never sleeps on.  An error raised in a callback comes out of
--- the wait() whose loop pass ran it, as it would out of cp.run().
local core = require("child_process.core")
local util = require("child_process.util")
local compat = require("child_process.compat")
local table, pcall, math = compat.table, compat.pcall, compat.math -- pcall: wait() yields inside it, also on 5.1

local argcheck, defer = util.argcheck, util.defer

local M = {}

local hook -- the installed scheduler ({ running, wait, wake }), or nil

-- Coroutines started by cp.async (child_process.lua) and request handlers
-- (request.lua): inside them wait() yields.
local async_threads = setmetatable({}, { __mode = "k" })
M.async_threads = async_threads

---------------------------------------------------------------------------
-- The loop as a pollable (cqueues' protocol; other schedulers read the
-- same three methods; called as p:pollfd() etc., they read only the loop)
---------------------------------------------------------------------------

local Pollable = {}
Pollable.__index = Pollable

--- The loop's backend fd: readable when the loop has I/O to process.
function Pollable.pollfd() return core.backend_fd() end

function Pollable.events() return "r" end

--- Seconds until the loop's next timer is due, nil for none.  Asked right
--- after a run("nowait"), so the loop's clock is fresh.
function Pollable.timeout()
  local ms = core.backend_timeout()
  if ms < 0 then return nil end
  return ms / 1000
end

---------------------------------------------------------------------------
-- The hook
---------------------------------------------------------------------------

local FIELDS = { "running", "wait", "wake" }

--- use_scheduler(hook | nil): from now on wait() inside a coroutine for
--- which hook.running() is truthy yields to the scheduler (nil: back to
--- blocking waits).  hook.wait(p) must yield until p:pollfd() is readable,
--- p:timeout() seconds have passed (nil: no limit) or hook.wake(p) is
--- called; hook.wake(p) on a p nobody waits on must do nothing.
function M.use_scheduler(s)
  if s == nil then
    hook = nil
    return
  end
  argcheck(type(s) == "table", 1, "use_scheduler", "table or nil expected, got " .. type(s))
  for _, k in ipairs(FIELDS) do
    argcheck(type(s[k]) == "function", 1, "use_scheduler",
      ("'%s' must be a function, got %s"):format(k, type(s[k])))
  end
  -- A copy: a later change to the caller's table cannot break a wait.
  hook = { running = s.running, wait = s.wait, wake = s.wake }
end

--- Is the running coroutine one the installed scheduler manages?
function M.managed()
  return hook ~= nil and hook.running() and true or false
end

---------------------------------------------------------------------------
-- Waiting: what waits on, and wakes, a ChildProcess or a Pending
---------------------------------------------------------------------------

-- A coroutine closed by its owner (coroutine.close: the task was
-- cancelled) while it waited is not resumed.
local function resume(co, ...)
  if coroutine.status(co) == "dead" then return end
  local ok, err = coroutine.resume(co, ...)
  if not ok then error(debug.traceback(co, err), 0) end
end

--- wake(waiters, ...): the object the waiters wait on is settled; resume
--- each (wait() returns ...).  Every waiter is woken even if one raises:
--- the first error propagates now, later ones from the next turn of the
--- loop.
function M.wake(waiters, ...)
  local first
  for i = 1, #waiters do
    local w = waiters[i]
    if not w.woken then
      w.woken = true
      if w.timer then w.timer:close() end
      -- w.wake: a wait under another scheduler.
      local ok, err = pcall(w.wake or resume, w.co, ...)
      if not ok then
        if first == nil then first = { err } else defer(error, err, 0) end
      end
    end
  end
  if first then error(first[1], 0) end
end

--- The timeout argument of every wait([ms]): nil for no limit (math.huge,
--- and anything no timer can hold, too), else an integer.
function M.timeout_arg(ms)
  if ms == nil then return nil end
  argcheck(type(ms) == "number" and ms >= 0 and ms == ms, 1, "wait",
    "timeout must be a non-negative number, got " .. tostring(ms))
  return ms < 2 ^ 53 and math.tointeger(math.floor(ms)) or nil
end

-- The end of a blocking or managed wait: undo hold(), close the timer,
-- then the error of the loop pass, or what the wait returns.
local function finish(obj, timeout, how, held, timer, ok, err)
  if held and not how.done(obj) then how.release(obj) end
  if timer then timer:close() end
  if not ok then error(err, 0) end
  if not how.done(obj) then return how.timed_out(timeout) end
  return how.result(obj)
end

-- Under the installed scheduler.
local function managed_wait(obj, timeout, how)
  local h = hook
  local p = setmetatable({}, Pollable)
  -- wake() calls w.wake when obj settles, in whichever loop pass.
  local w = { wake = function() h.wake(p) end }
  obj._waiters = obj._waiters or {}
  table.insert(obj._waiters, w)
  local timer, timed_out
  if timeout then
    timer = core.timer()
    timer:start(timeout, 0, function()
      timed_out = true
      h.wake(p)
    end)
  end
  local held = how.hold and how.hold(obj)
  local done = how.done
  local ok, err = pcall(function()
    while not done(obj) and not timed_out do
      local alive = core.run("nowait")
      if done(obj) or timed_out then break end
      if not alive then error(how.stuck, 0) end
      h.wait(p)
    end
  end)
  w.woken = true -- a late wake() has nobody to wake
  return finish(obj, timeout, how, held, timer, ok, err)
end

--- wait(obj, timeout, how) → what obj's wait() returns.  `timeout`: from
--- timeout_arg.  `how` describes obj's kind:
---   done(obj) → settled?         result(obj) → the values wait() returns
---   timed_out(ms) → the values of a wait that timed out
---   stuck: the error when the loop has nothing left that could settle obj
---   hold(obj) → truthy if it made obj hold the loop meanwhile, undone by
---   release(obj) (optional)
--- obj._waiters is the list that wake() is given when obj settles.
function M.wait(obj, timeout, how)
  if how.done(obj) then return how.result(obj) end
  local co = coroutine.running()
  if async_threads[co] then
    local w = { co = co }
    obj._waiters = obj._waiters or {}
    table.insert(obj._waiters, w)
    if timeout then
      w.timer = core.timer()
      w.timer:start(timeout, 0, function()
        w.timer:close()
        if not w.woken then
          w.woken = true
          resume(co, how.timed_out(timeout))
        end
      end)
    end
    return coroutine.yield()
  end
  if core.running() then
    error(util.where() .. "wait() called from inside an event callback: the loop is not re-entrant; "
      .. "use cp.async(fn) and call wait() inside it", 0)
  end
  if hook ~= nil and hook.running() then return managed_wait(obj, timeout, how) end
  local timer, timed_out
  if timeout then
    timer = core.timer()
    timer:start(timeout, 0, function() timed_out = true end)
  end
  local held = how.hold and how.hold(obj)
  local done = how.done
  local ok, err = pcall(function()
    while not done(obj) and not timed_out do
      -- Nothing left that could end the wait: fail rather than spin.
      if not core.run("once") and not done(obj) and not timed_out then error(how.stuck, 0) end
    end
  end)
  return finish(obj, timeout, how, held, timer, ok, err)
end

---------------------------------------------------------------------------
-- cqueues
---------------------------------------------------------------------------

--- use_cqueues(cqueues): the hook for cqueues (the module table).  A
--- condition variable per waiting coroutine carries wake().
function M.use_cqueues(cqueues)
  argcheck(type(cqueues) == "table", 1, "use_cqueues",
    "cqueues module table expected, got " .. type(cqueues))
  argcheck(type(cqueues.poll) == "function" and type(cqueues.running) == "function", 1,
    "use_cqueues", "cqueues module table expected, got a table without poll() and running()")
  local condition = require("cqueues.condition")
  local conds = setmetatable({}, { __mode = "k" })
  M.use_scheduler({
    -- The second result: is this coroutine the one cqueues resumed (a
    -- plain coroutine inside it cannot yield to cqueues)?
    running = function() return select(2, cqueues.running()) == true end,
    wait = function(p)
      local c = conds[p] or condition.new()
      conds[p] = c
      cqueues.poll(p, c)
    end,
    wake = function(p)
      local c = conds[p]
      if c then c:signal() end
    end,
  })
end

return M
