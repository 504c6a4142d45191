--- lines.lua — a readable stream's lines: the `line` event and the
--- readable:lines() iterator.  The splitting is core.lines() (src/lines.c):
--- "\n" and "\r\n" end a line, the last line comes without its newline
--- (just before `end`), and any chunking costs time linear in the bytes.
local core = require("child_process.core")

local M = {}

-- Lines an iterator may hold before it pauses the stream (backpressure
-- while the consuming coroutine is busy elsewhere).
local QUEUE_MAX = 1024

--- Start splitting `s` into `line` events (at its first `line` listener).
function M.attach(s)
  if s._linebuf then return end
  local lb = core.lines()
  s._linebuf = lb
  s:on("data", function(chunk)
    lb:push(chunk)
    local line = lb:next()
    while line do
      s:emit("line", line)
      line = lb:next()
    end
  end)
end

--- At the end of the stream (also on a read error): the last line, if it
--- had no newline.
function M.flush(s)
  local lb = s._linebuf
  if not lb then return end
  local rest = lb:rest()
  if rest then s:emit("line", rest) end
end

local function resume(co, ...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then error(debug.traceback(co, err), 0) end
end

--- s:lines() → an iterator for `for line in s:lines() do … end`.  Inside a
--- cp.async coroutine it yields until the next line; elsewhere it runs the
--- loop (as wait() does).  A read error is raised by the iterator.
--- Leaving the loop early (break) stops listening.
function M.iterator(s)
  local queue, head, tail = {}, 1, 0
  local done, failure, waiter, paused = s._ended == true, nil, nil, false
  local on_line, on_end, on_error

  local function wake()
    local co = waiter
    if co then
      waiter = nil
      resume(co)
    end
  end
  local function stop()
    s:off("line", on_line)
    s:off("end", on_end)
    s:off("close", on_end)
    s:off("error", on_error)
    if paused then
      paused = false
      s:resume()
    end
  end
  on_line = function(line)
    tail = tail + 1
    queue[tail] = line
    if tail - head + 1 >= QUEUE_MAX and not s._paused then
      paused = true
      s:pause()
    end
    wake()
  end
  on_end = function()
    done = true
    wake()
  end
  on_error = function(err)
    failure = err
    on_end()
  end
  if not done then
    s:on("line", on_line)
    s:once("end", on_end)
    s:once("close", on_end) -- destroy() closes without `end`
    s:once("error", on_error)
  end

  local function wait_line()
    local co, main = coroutine.running()
    if not main and require("child_process.child_process").in_async(co) then
      waiter = co
      coroutine.yield()
      return
    end
    if core.running() then
      error("lines(): the iterator was called from inside an event callback outside cp.async: "
        .. "the loop is not re-entrant", 3)
    end
    if not core.run("once") and head > tail and not done then
      error("lines(): the loop has no work left but the stream has not ended (is it paused?)", 3)
    end
  end

  local function next_line()
    while head > tail do
      if done then
        stop()
        if failure then
          local err = failure
          failure = nil
          error(err, 2)
        end
        return nil
      end
      wait_line()
    end
    local line = queue[head]
    queue[head] = nil
    head = head + 1
    if paused and head > tail then
      paused = false
      s:resume()
    end
    return line
  end
  -- The closing value of the generic for: a `break` stops listening.
  return next_line, nil, nil, setmetatable({}, { __close = stop })
end

return M
