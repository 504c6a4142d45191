--- pool.lua — cp.pool(modulePath [, options]): a pool of forked workers
--- answering requests (request.lua's envelope), fed from a bounded queue.
---
--- What never happens: a task waiting forever.  A worker that dies fails
--- only the tasks it held (ERR_WORKER_EXITED, with its exit code or
--- signal) and is replaced; one that holds a task past taskTimeout is
--- killed (the task: ETIMEDOUT) and replaced; workers that cannot start
--- fail the queue (ERR_WORKER_INIT) rather than crash-loop.
---
--- The hot path: when many tasks wait, several go to a worker in one
--- message (a batch, at most `batch` tasks, run one after another there),
--- and the next batch leaves before the callbacks of the last one run, so
--- that the worker computes while the parent settles.  A map() is one
--- queue entry (a slice of its list), cut into batches as workers free up
--- and settled a batch at a time: no table per item.
local core = require("child_process.core")
local util = require("child_process.util")
local Emitter = require("child_process.emitter")
local request = require("child_process.request")
local compat = require("child_process.compat")
local move = compat.move
local math, utf8 = compat.math, compat.utf8

local argcheck, argerror, defer, mkerror = util.argcheck, util.argerror, util.defer, util.error
local pending, remote_error = request.pending, request.remote_error
local KEY = request.KEY
local null = core.json.null

local M = {}

local Pool = setmetatable({ __name = "child_process.Pool" }, { __index = Emitter })
Pool.__index = Pool
M.Pool = Pool

-- Options of the pool itself; the rest go to fork().
local POOL_KEYS = {
  size = true, maxQueue = true, taskTimeout = true, maxTasksPerWorker = true,
  idleTimeout = true, concurrency = true, batch = true, args = true,
}

local BATCH = 64 -- default largest batch of run() tasks
-- (map() items: more per message, as Python's Pool.map chunks, yet enough
-- messages that both workers get a share and a failure stays local.)
local MAP_BATCH = 1024

--- Number of CPUs online (the default size).
function M.cpus()
  local f = io.open("/sys/devices/system/cpu/online", "r")
  local s = f and f:read("*l")
  if f then f:close() end
  local n = 0
  for a, b in (s or ""):gmatch("(%d+)%-?(%d*)") do
    n = n + (b ~= "" and (tonumber(b) - tonumber(a) + 1) or 1)
  end
  return n > 0 and n or 1
end

local function opt_int(o, key, min)
  local v = o[key]
  if v == nil then return nil end
  if v == math.huge then return v end
  if type(v) ~= "number" or v ~= math.floor(v) or v < min then
    argerror(2, "pool", ("option '%s' must be an integer >= %d, got %s"):format(key, min, tostring(v)))
  end
  return math.tointeger(v)
end

local function opt_ms(o, key)
  local v = o[key]
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v <= 0 then
    argerror(2, "pool", ("option '%s' must be a positive number of ms, got %s"):format(key, tostring(v)))
  end
  return v
end

-- A task value the codec can carry, checked where run() / map() is called
-- (a batch is encoded later, where an error would hit other tasks).
local function check_value(v, n, fname)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      argerror(n, fname, "value cannot be encoded: " .. tostring(v))
    end
  elseif t == "string" then
    if not utf8.len(v) then argerror(n, fname, "value cannot be encoded: invalid UTF-8 string") end
  elseif t == "table" then
    local ok, e = pcall(core.json.encode, v)
    if not ok then argerror(n, fname, "value cannot be encoded: " .. tostring(e)) end
  elseif t ~= "nil" and t ~= "boolean" and v ~= null then
    argerror(n, fname, "value cannot be encoded: " .. t)
  end
end

---------------------------------------------------------------------------
-- Settling tasks
---------------------------------------------------------------------------

-- A task is a run() job (a Pending) or an item of a map() job.
local function finish(self, task, err, res)
  if err then self._failed = self._failed + 1 else self._done = self._done + 1 end
  local m = task.map
  if not m then return task:_settle(err, res) end
  local i = task.i
  if err and m.first == nil then
    err.index = i
    m.first = err
  end
  m.results[i] = res
  m.left = m.left - 1
  if m.left == 0 then
    if m.first then m:_settle(m.first, nil) else m:_settle(nil, m.results) end
  end
end

-- Settle tasks[1..n] with err_of(i) / res_of(i); a callback that raises
-- does not stop the others (its error propagates once all are settled).
local function finish_all(self, tasks, n, err_of, res_of)
  local k, first = 1, nil
  local function loop()
    while k <= n do
      local i = k
      k = k + 1
      finish(self, tasks[i], err_of(i), res_of and res_of(i))
    end
  end
  while k <= n do
    local ok, e = pcall(loop)
    if not ok then
      if first == nil then first = e else defer(error, e, 0) end
    end
  end
  if first ~= nil then error(first, 0) end
end

---------------------------------------------------------------------------
-- Workers
---------------------------------------------------------------------------

local function exited_error(w, code, sig)
  return mkerror("ERR_WORKER_EXITED",
    ("worker %s exited (code %s, signal %s) before answering"):format(
      tostring(w.pid), tostring(code), tostring(sig)),
    { exitCode = code, signal = sig, pid = w.pid })
end

-- A batch record's tasks as a list: a slice of a map() gets a task table
-- per item here, on the (rare) paths that fail tasks one by one.
local function expand(rec)
  local m = rec.map
  if m then
    for j = 1, rec.n do rec[j] = { map = m, i = rec.i + j - 1 } end
    rec.map = nil
  end
  return rec
end

-- Tasks in flight on w, oldest batch first, and forget them.
local function take_inflight(w)
  local ids = {}
  for id in pairs(w.inflight) do ids[#ids + 1] = id end
  table.sort(ids)
  local tasks = {}
  for _, id in ipairs(ids) do
    local rec = w.inflight[id]
    if rec.n then
      expand(rec)
      for j = 1, rec.n do tasks[#tasks + 1] = rec[j] end
    else
      tasks[#tasks + 1] = rec
    end
  end
  w.inflight, w.nb, w.nt = {}, 0, 0
  return tasks
end

-- (Re)arm w's task timer at its earliest deadline.
local function arm(self, w)
  local soonest
  for _, rec in pairs(w.inflight) do
    local d = rec.n and rec.deadline or w.deadlines[rec]
    if d and (soonest == nil or d < soonest) then soonest = d end
  end
  if not soonest then
    if w.ttimer then w.ttimer:stop() end
    return
  end
  w.ttimer = w.ttimer or core.timer()
  local ms = math.max(0, math.ceil(soonest - core.now()))
  w.ttimer:start(ms, 0, function() self:_timed_out(w) end)
end

function Pool:_timed_out(w)
  local now = core.now()
  local late, n = {}, 0
  for id, rec in pairs(w.inflight) do
    local d = rec.n and rec.deadline or w.deadlines[rec]
    if d and d <= now + 1 then
      w.inflight[id] = nil
      w.nb = w.nb - 1
      if rec.n then
        expand(rec)
        for j = 1, rec.n do n = n + 1 late[n] = rec[j] end
      else
        n = n + 1
        late[n] = rec
      end
    end
  end
  if n == 0 then return arm(self, w) end
  w.nt = w.nt - n
  self._inflight = self._inflight - n
  -- The worker is stuck: end it (its other tasks fail when it closes).
  w.dead = true
  w.child:kill("SIGKILL")
  local ms = self._taskTimeout
  finish_all(self, late, n, function()
    return mkerror("ETIMEDOUT", ("task timed out after %g ms; worker %s killed"):format(ms, tostring(w.pid)),
      { pid = w.pid })
  end)
end

-- Retire w: no more tasks; it exits once its channel closes.
local function retire(w)
  w.retiring = true
  if w.itimer then
    w.itimer:close()
    w.itimer = nil
  end
  if w.nb == 0 and not w.dead then
    w.dead = true
    w.child:ref()
    w.child:disconnect()
  end
end

function Pool:_on_envelope(w, msg)
  local kind = msg[KEY]
  if kind == "ready" then
    if w.ready then return end
    w.ready = true
    self._startfails = 0
    return self:_pump()
  end
  if kind ~= "res" then return end
  local id = msg.id
  local rec = w.inflight[id]
  if not rec then return end -- timed out already: never answered twice
  w.inflight[id] = nil
  w.nb = w.nb - 1
  local n = rec.n or 1
  w.nt = w.nt - n
  self._inflight = self._inflight - n
  if self._taskTimeout then
    if not rec.n then w.deadlines[rec] = nil end
    arm(self, w)
  end
  if w.retiring and w.nb == 0 then retire(w) end
  -- More work first: the worker computes while the callbacks below run.
  self:_pump()
  local ok, err
  if rec.map then
    ok, err = pcall(self._settle_slice, self, rec, msg)
  elseif rec.n then
    local results, errors = msg.batch, msg.errors
    if errors == null then errors = nil end
    if type(results) ~= "table" then results = {} end
    ok, err = pcall(finish_all, self, rec, n,
      errors and function(i)
        local e = errors[tostring(i)]
        return e and remote_error(e) or nil
      end or function() return nil end,
      function(i)
        local r = results[i]
        if r == null then return nil end
        return r
      end)
  else
    local e = msg.error
    if e ~= nil and e ~= null then
      ok, err = pcall(finish, self, rec, remote_error(e), nil)
    else
      ok, err = pcall(finish, self, rec, nil, msg.data)
    end
  end
  self:_settle_state()
  if not ok then error(err, 0) end
end

-- A map() slice's replies: results into place, errors by position.
function Pool:_settle_slice(rec, msg)
  local m, n, base = rec.map, rec.n, rec.i - 1
  local results, errors = msg.batch, msg.errors
  if type(results) ~= "table" then results = {} end
  local out = m.results
  for j = 1, n do
    local r = results[j]
    if r == null then r = nil end
    out[base + j] = r
  end
  local nerr = 0
  if errors ~= nil and errors ~= null then
    local firstpos
    for k in pairs(errors) do
      local pos = math.tointeger(tonumber(k))
      if pos and pos >= 1 and pos <= n then
        nerr = nerr + 1
        if firstpos == nil or pos < firstpos then firstpos = pos end
      end
    end
    if firstpos and m.first == nil then
      local e = remote_error(errors[tostring(firstpos)])
      e.index = base + firstpos
      m.first = e
    end
  end
  self._done = self._done + n - nerr
  self._failed = self._failed + nerr
  local left = m.left - n
  m.left = left
  if left == 0 then
    if m.first then m:_settle(m.first, nil) else m:_settle(nil, m.results) end
  end
end

function Pool:_spawn()
  local fork = require("child_process.fork").fork
  local w = { ready = false, inflight = {}, nb = 0, nt = 0, assigned = 0, deadlines = {} }
  local child = fork(self._path, self._args, self._forkopts)
  w.child, w.pid = child, child.pid
  child._on_envelope = function(msg) return self:_on_envelope(w, msg) end
  child:on("error", function(err)
    w.error = err
    if self:listenerCount("error") > 0 then self:emit("error", err) end
  end)
  child:on("close", function(code, sig) self:_on_close(w, code, sig) end)
  self._workers[#self._workers + 1] = w
  if self._idle then child:unref() end
  return w
end

function Pool:_on_close(w, code, sig)
  for i = #self._workers, 1, -1 do
    if self._workers[i] == w then table.remove(self._workers, i) end
  end
  if w.ttimer then w.ttimer:close() w.ttimer = nil end
  if w.itimer then w.itimer:close() w.itimer = nil end
  local tasks = take_inflight(w)
  self._inflight = self._inflight - #tasks
  local startup = not w.ready and not self._closing
  if startup then self._startfails = self._startfails + 1 end
  local ok, err = pcall(finish_all, self, tasks, #tasks, function() return exited_error(w, code, sig) end)
  if self:listenerCount("exit") > 0 then
    local ok2, err2 = pcall(self.emit, self, "exit", code, sig, w.pid)
    if ok and not ok2 then ok, err = ok2, err2 end
  end
  if startup and self:listenerCount("error") > 0 then
    local e = w.error or mkerror("ERR_WORKER_INIT",
      ("worker %s exited (code %s, signal %s) before it was ready")
        :format(tostring(w.pid), tostring(code), tostring(sig)),
      { exitCode = code, signal = sig, pid = w.pid })
    local ok2, err2 = pcall(self.emit, self, "error", e)
    if ok and not ok2 then ok, err = ok2, err2 end
  end
  if not self._closing then
    if self._startfails >= 3 and not self:_any_ready() then
      -- Workers that cannot start: fail what waits rather than loop.
      local ok2, err2 = pcall(self._fail_queue, self, function()
        return mkerror("ERR_WORKER_INIT", ("workers exit before they are ready (last: code %s, signal %s)")
          :format(tostring(code), tostring(sig)), { exitCode = code, signal = sig })
      end)
      if ok and not ok2 then ok, err = ok2, err2 end
    else
      -- Replaced, unless idleTimeout retired it (then on demand).
      if not w.idle_retired then self:_grow(1) end
      self:_pump()
    end
  end
  self:_settle_state()
  if not ok then error(err, 0) end
end

function Pool:_any_ready()
  for _, w in ipairs(self._workers) do
    if w.ready and not w.dead then return true end
  end
  return false
end

---------------------------------------------------------------------------
-- The queue and dispatch
---------------------------------------------------------------------------

-- The queue is two arrays of entries: a run() job, or a slice of a map()
-- ({map = job, i = first index, k = items}).  Entries are taken from
-- _queue[_qh.._qt] and added to _in[1.._nin]; when the first runs out,
-- the second takes its place.  (One array with a moving window would
-- drift past its array part into the hash part, and cost a rehash every
-- few thousand tasks while the queue never empties.)  _nq counts tasks.
local function qlen(self)
  return self._nq
end

local function enqueue(self, entry, k)
  local n = self._nin + 1
  self._nin = n
  self._in[n] = entry
  self._nq = self._nq + k
end

-- The next entry, left in place (the caller knows there is one).
local function peek(self)
  local h = self._qh
  if h > self._qt then
    self._queue, self._qt = self._in, self._nin
    self._in, self._nin = {}, 0
    self._qh = 1
    h = 1
  end
  return self._queue[h]
end

-- Remove the next entry.
local function take(self)
  local t = peek(self)
  local h = self._qh
  self._queue[h] = nil
  self._qh = h + 1
  self._nq = self._nq - (t.k or 1)
  return t
end

function Pool:_fail_queue(make_err)
  local tasks, n = {}, 0
  while self._nq > 0 do
    local t = take(self)
    if t.k then
      for j = 0, t.k - 1 do
        n = n + 1
        tasks[n] = { map = t.map, i = t.i + j }
      end
    else
      n = n + 1
      tasks[n] = t
    end
  end
  finish_all(self, tasks, n, make_err)
end

-- Start workers up to `size` (not while they keep failing to start).
function Pool:_grow(max_new)
  if self._closing or self._startfails >= 3 then return end
  local live = 0
  for _, w in ipairs(self._workers) do
    if not w.dead and not w.retiring then live = live + 1 end
  end
  local want = self._size - live
  if max_new and want > max_new then want = max_new end
  for _ = 1, want do self:_spawn() end
end

-- Send queued tasks to workers with a free slot.
function Pool:_pump()
  local queued = qlen(self)
  if queued <= 0 then return end
  local workers, conc = self._workers, self._concurrency
  local free, slots = 0, 0
  for i = 1, #workers do
    local w = workers[i]
    if not w.dead and not w.retiring then
      slots = slots + conc
      if w.ready and w.child.connected then free = free + conc - w.nb end
    end
  end
  if free <= 0 then return self:_grow() end
  -- Batch size: a quarter of each slot's share of the queue (as Python's
  -- Pool.map chunks), so that uneven tasks still spread over the workers
  -- (those still starting included) and a short queue goes one by one.
  local share = 4 * (slots > 0 and slots or 1)
  local ttl, quota = self._taskTimeout, self._maxTasks
  for i = 1, #workers do
    local w = workers[i]
    while queued > 0 and w.ready and not w.dead and not w.retiring and w.nb < conc and w.child.connected do
      local head = peek(self)
      local b = math.floor((queued + share - 1) / share)
      local maxb = head.k and self._mapbatch or self._batch
      if b > maxb then b = maxb end
      if quota and b > quota - w.assigned then b = quota - w.assigned end
      local id = self._nextid + 1
      self._nextid = id
      local rec, msg
      if head.k then
        -- b items of a map(): the head slice's first b.
        local first = head.i
        if b >= head.k then
          b = head.k
          take(self)
        else
          head.k = head.k - b
          head.i = first + b
          self._nq = self._nq - b
        end
        rec = { map = head.map, i = first, n = b }
        msg = { [KEY] = "req", id = id,
          batch = move(head.map.items, first, first + b - 1, 1, {}) }
      elseif b == 1 then
        rec = take(self)
        msg = { [KEY] = "req", id = id, data = rec.data }
      else
        -- run() tasks, up to the next map() slice.
        rec = { n = b }
        local data = {}
        for j = 1, b do
          if j > 1 and (self._nq == 0 or peek(self).k) then
            b = j - 1
            rec.n = b
            break
          end
          local t = take(self)
          rec[j] = t
          local d = t.data
          if d == nil then d = null end
          data[j] = d
        end
        msg = { [KEY] = "req", id = id, batch = data }
      end
      queued = queued - b
      w.inflight[id] = rec
      w.nb = w.nb + 1
      w.nt = w.nt + b
      w.assigned = w.assigned + b
      self._inflight = self._inflight + b
      if ttl then
        -- Each task may take taskTimeout, after those ahead of it here.
        local d = core.now() + ttl * w.nt
        if rec.n then rec.deadline = d else w.deadlines[rec] = d end
        arm(self, w)
      end
      if w.itimer then w.itimer:stop() end
      local ok, err = w.child._channel:send(msg)
      if ok == nil then
        -- A value changed since run() and no longer encodes.
        w.inflight[id] = nil
        w.nb, w.nt = w.nb - 1, w.nt - b
        self._inflight = self._inflight - b
        local e = mkerror("ERR_INVALID_ARG_VALUE", "task value cannot be encoded: " .. tostring(err))
        if rec.n then finish_all(self, expand(rec), b, function() return e end) else finish(self, rec, e) end
      end
      if quota and w.assigned >= quota then retire(w) end
    end
    if queued <= 0 then break end
  end
  if queued > 0 then self:_grow() end
end

-- After tasks settled: idle workers stop holding the loop (cp.run()
-- returns when the pool has nothing to do), idle timers, and close().
function Pool:_settle_state()
  local busy = self._inflight > 0 or qlen(self) > 0
  if busy then
    if self._idle then
      self._idle = false
      for _, w in ipairs(self._workers) do w.child:ref() end
    end
    return
  end
  if self._closing then
    for _, w in ipairs(self._workers) do
      if not w.dead then retire(w) end
    end
    self:_check_closed()
    return
  end
  if not self._idle then
    self._idle = true
    for _, w in ipairs(self._workers) do
      if not w.dead then w.child:unref() end
    end
  end
  local idle_ms = self._idleTimeout
  if idle_ms then
    for _, w in ipairs(self._workers) do
      if w.ready and not w.dead and not w.retiring and w.nb == 0 then
        if not w.itimer then
          w.itimer = core.timer()
          w.itimer:unref()
        end
        w.itimer:start(math.ceil(idle_ms), 0, function()
          if w.nb == 0 and not w.dead then
            w.idle_retired = true
            retire(w)
          end
        end)
      end
    end
  end
end

function Pool:_check_closed()
  if self.closed or #self._workers > 0 then return end
  self.closed = true
  local cbs = self._close_cbs
  self._close_cbs = {}
  for _, cb in ipairs(cbs) do defer(cb) end
  if self:listenerCount("close") > 0 then self:emit("close") end
end

---------------------------------------------------------------------------
-- Public API
---------------------------------------------------------------------------

--- pool:run(value [, cb]) → job; cb(err, result), job:wait() → err, result.
function Pool:run(value, cb)
  if cb ~= nil and type(cb) ~= "function" then
    argerror(2, "run", "callback must be a function, got " .. type(cb))
  end
  check_value(value, 1, "run")
  local job = pending(cb)
  job.data = value
  if self._closing then
    job:_fail_now(mkerror(self._terminated and "ERR_POOL_TERMINATED" or "ERR_POOL_CLOSED", "the pool is closed"))
    return job
  end
  local waiting = qlen(self)
  if waiting >= self._maxQueue then
    job:_fail_now(mkerror("ERR_POOL_QUEUE_FULL", ("the pool's queue is full (maxQueue = %d)"):format(self._maxQueue)))
    return job
  end
  -- Tasks already waiting mean no worker has a free slot (every pump
  -- fills them): the next answer sends this one.
  enqueue(self, job, 1)
  if waiting > 0 then return job end
  if self._idle then self:_settle_state() end
  if self._startfails >= 3 then self._startfails = 0 end
  self:_pump()
  return job
end

--- pool:map(list [, cb]) → job whose result is the list of results in
--- input order; the first task error (with .index) fails the job.
function Pool:map(list, cb)
  argcheck(type(list) == "table", 1, "map", "table expected, got " .. type(list))
  if cb ~= nil and type(cb) ~= "function" then
    argerror(2, "map", "callback must be a function, got " .. type(cb))
  end
  local n = #list
  -- The items, checked, as the workers get them (null for nil); later
  -- changes to `list` do not reach the workers.
  local items = {}
  for i = 1, n do
    local v = list[i]
    if type(v) ~= "number" then
      check_value(v, 1, "map")
      if v == nil then v = null end
    elseif v ~= v or v == math.huge or v == -math.huge then
      check_value(v, 1, "map")
    end
    items[i] = v
  end
  local job = pending(cb)
  job.items = items
  -- Sized at once: slices settle out of order.
  job.results = setmetatable(move(items, 1, n, 1, {}), core.json.array_mt)
  job.left = n
  if self._closing then
    job:_fail_now(mkerror(self._terminated and "ERR_POOL_TERMINATED" or "ERR_POOL_CLOSED", "the pool is closed"))
    return job
  end
  if n == 0 then
    defer(function() job:_settle(nil, job.results) end)
    return job
  end
  if qlen(self) + n > self._maxQueue then
    job:_fail_now(mkerror("ERR_POOL_QUEUE_FULL", ("the pool's queue is full (maxQueue = %d)"):format(self._maxQueue)))
    return job
  end
  enqueue(self, { map = job, i = 1, k = n }, n)
  if self._idle then self:_settle_state() end
  if self._startfails >= 3 then self._startfails = 0 end
  self:_pump()
  return job
end

--- pool:close([cb]): take no more tasks; finish the queue, then let the
--- workers exit.  cb() once they all have.
function Pool:close(cb)
  if cb ~= nil and type(cb) ~= "function" then
    argerror(1, "close", "callback must be a function, got " .. type(cb))
  end
  if cb then
    if self.closed then defer(cb) else self._close_cbs[#self._close_cbs + 1] = cb end
  end
  if self._closing then return end
  self._closing = true
  -- A closing pool holds the loop until its workers are gone.
  self._idle = false
  for _, w in ipairs(self._workers) do w.child:ref() end
  self:_settle_state()
end

--- pool:terminate([cb]): kill the workers now; queued and running tasks
--- fail (ERR_POOL_TERMINATED).  cb() once every worker is reaped.
function Pool:terminate(cb)
  if cb ~= nil and type(cb) ~= "function" then
    argerror(1, "terminate", "callback must be a function, got " .. type(cb))
  end
  if cb then
    if self.closed then defer(cb) else self._close_cbs[#self._close_cbs + 1] = cb end
  end
  if self._terminated then return end
  self._terminated, self._closing, self._idle = true, true, false
  local function err() return mkerror("ERR_POOL_TERMINATED", "the pool was terminated") end
  local tasks = {}
  for _, w in ipairs(self._workers) do
    w.child:ref()
    if w.ttimer then w.ttimer:close() w.ttimer = nil end
    if w.itimer then w.itimer:close() w.itimer = nil end
    for _, t in ipairs(take_inflight(w)) do tasks[#tasks + 1] = t end
    w.dead = true
    w.child:kill("SIGKILL")
  end
  self._inflight = 0
  local ok, e = pcall(self._fail_queue, self, err)
  local ok2, e2 = pcall(finish_all, self, tasks, #tasks, err)
  self:_check_closed()
  if not ok then error(e, 0) end
  if not ok2 then error(e2, 0) end
end

--- cp.pool(modulePath [, options]) → Pool
function M.pool(modulePath, opts)
  if type(modulePath) ~= "string" or modulePath == "" then
    argerror(1, "pool", "modulePath must be a non-empty string, got " .. tostring(modulePath))
  end
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "pool", "options must be a table, got " .. type(opts)) end
  local o = opts or {}
  local self = setmetatable({}, Pool)
  self._path = modulePath
  self._size = opt_int(o, "size", 1) or M.cpus()
  if self._size == math.huge then argerror(2, "pool", "option 'size' must be finite") end
  self._maxQueue = opt_int(o, "maxQueue", 0) or math.huge
  self._taskTimeout = opt_ms(o, "taskTimeout")
  self._maxTasks = opt_int(o, "maxTasksPerWorker", 1)
  if self._maxTasks == math.huge then self._maxTasks = nil end
  self._idleTimeout = opt_ms(o, "idleTimeout")
  self._concurrency = opt_int(o, "concurrency", 1) or 1
  -- With taskTimeout, one task per message by default: a stuck task then
  -- fails alone, and its deadline does not stretch over a batch.
  self._batch = opt_int(o, "batch", 1) or (self._taskTimeout and 1 or BATCH)
  self._mapbatch = o.batch ~= nil and self._batch or (self._taskTimeout and 1 or MAP_BATCH)
  if o.args ~= nil and type(o.args) ~= "table" then
    argerror(2, "pool", "option 'args' must be a table, got " .. type(o.args))
  end
  self._args = o.args or {}
  local forkopts = {}
  for k, v in pairs(o) do
    if not POOL_KEYS[k] then forkopts[k] = v end
  end
  self._forkopts = forkopts
  self._queue, self._qh, self._qt, self._in, self._nin, self._nq = {}, 1, 0, {}, 0, 0
  self._workers = {}
  self._nextid = 0
  self._inflight = 0
  self._done, self._failed = 0, 0
  self._startfails = 0
  self._close_cbs = {}
  self._idle = true
  self.closed = false
  local pool = self
  self.stats = setmetatable({}, {
    __index = function(_, k)
      if k == "workers" then return #pool._workers
      elseif k == "busy" then
        local n = 0
        for _, w in ipairs(pool._workers) do if w.nb > 0 then n = n + 1 end end
        return n
      elseif k == "queued" then return qlen(pool)
      elseif k == "running" then return pool._inflight
      elseif k == "done" then return pool._done
      elseif k == "failed" then return pool._failed
      end
    end,
  })
  self:_grow()
  return self
end

return M
