--- scheduler.lua — wait() under another coroutine scheduler (SPEC §6
--- "Other schedulers"): the hook a scheduler installs with
--- cp.use_scheduler{running, wait, wake}, the wait() that yields to it while
--- it drives the module's loop, and cp.use_cqueues, built on that hook.
---
--- A waiting coroutine drives the loop itself: run("nowait"), then hand
--- the scheduler a pollable (the loop's backend fd, and the time until its
--- next timer) and yield until it is ready.  Several coroutines may wait at
--- once on the same fd; whichever runs the loop first completes the others'
--- children too, and wakes their waits through hook.wake, so a coroutine
--- whose child was settled by another's loop pass never sleeps on.  An error
--- raised in a callback comes out of the wait() whose loop pass ran it, as
--- it would out of cp.run().
local core = require("child_process.core")
local util = require("child_process.util")
local compat = require("child_process.compat")
local table, pcall = compat.table, compat.pcall -- pcall: wait() yields inside it, also on 5.1

local argcheck = util.argcheck

local M = {}

local hook -- the installed scheduler ({ running, wait, wake }), or nil

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

--- child:wait(timeout) in a managed coroutine.  `each_handle(child, m)`
--- refs/unrefs the child's handles (child_process.lua).
function M.wait(child, timeout, each_handle)
  local h = hook
  local p = setmetatable({}, Pollable)
  -- _complete calls w.wake when the child settles, in whichever loop pass.
  local w = { wake = function() h.wake(p) end }
  child._waiters = child._waiters or {}
  table.insert(child._waiters, w)
  local timer, timed_out
  if timeout then
    timer = core.timer()
    timer:start(math.floor(timeout), 0, function()
      timed_out = true
      h.wake(p)
    end)
  end
  -- As in the blocking wait: an unref'd child must keep the loop alive
  -- meanwhile (an empty loop's backend_timeout() is 0: a busy spin).
  local unrefd = child._unrefd
  if unrefd then each_handle(child, "ref") end
  local ok, err = pcall(function()
    while not child._done and not timed_out do
      local alive = core.run("nowait")
      if child._done or timed_out then break end
      if not alive then
        error("wait(): the loop has no work left but the child has not closed "
          .. "(is one of its streams paused?)", 0)
      end
      h.wait(p)
    end
  end)
  w.woken = true -- a late _complete has nobody to wake
  if unrefd and not child._done then each_handle(child, "unref") end
  if timer then timer:close() end
  if not ok then error(err, 0) end
  if not child._done then return nil, "timeout" end
  return table.unpack(child._result, 1, child._result.n)
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
