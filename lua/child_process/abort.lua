--- abort.lua — cp.AbortController() and what options.signal does to a
--- child, with Node's semantics: aborting kills a running child with its
--- killSignal and emits `error` with code "ABORT_ERR" (the signal's reason
--- as `cause`); a signal already aborted when spawn/exec/execFile/fork is
--- called gives that error without starting any process.
local Emitter = require("child_process.emitter")
local util = require("child_process.util")

local M = {}

local AbortSignal = setmetatable({ __name = "AbortSignal" }, { __index = Emitter })
AbortSignal.__index = AbortSignal
M.AbortSignal = AbortSignal

--- Raise the signal's reason if it was aborted (Node's throwIfAborted).
function AbortSignal:throwIfAborted()
  if self.aborted then error(self.reason, 2) end
end

-- The reason of abort() without one, as Node's DOMException.
local function default_reason()
  return util.error("ABORT_ERR", "This operation was aborted", { name = "AbortError" })
end

--- AbortController() → { signal = AbortSignal, abort = fn }.
--- Both `ac:abort(reason)` and `ac.abort(reason)` work; the first call
--- wins, later ones do nothing.  The signal emits `abort` (reason) once.
function M.AbortController()
  local signal = setmetatable({ aborted = false }, AbortSignal)
  local controller = { signal = signal }
  function controller.abort(a, ...)
    local reason
    if a == controller then reason = ... else reason = a end
    if signal.aborted then return end
    signal.aborted = true
    if reason == nil then reason = default_reason() end
    signal.reason = reason
    signal:emit("abort", reason)
  end
  return controller
end

--- Is v an AbortSignal?
function M.is_signal(v)
  return type(v) == "table" and getmetatable(v) == AbortSignal
end

--- The error a child gets when its signal aborts: Node's AbortError.
function M.error(signal)
  return util.error("ABORT_ERR", "The operation was aborted", { name = "AbortError", cause = signal.reason })
end

--- Kill `child` with `killSignal` when `signal` aborts while it runs, and
--- then emit `error` (ABORT_ERR), as Node does; the listener goes at exit.
function M.watch(child, signal, killSignal)
  local function on_abort()
    if child:kill(killSignal) then child:emit("error", M.error(signal)) end
  end
  signal:once("abort", on_abort)
  child:once("exit", function() signal:off("abort", on_abort) end)
end

return M
