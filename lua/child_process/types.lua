---@meta child_process
--- LuaLS (lua-language-server) annotations for the public API of
--- child_process.  This file is never executed: it describes types so that
--- editors complete and type-check user code.  Keep it in step with the API.

---@alias cp.Signal string|integer  # "SIGTERM", "SIGKILL"… or a number
--- A stream (another child's stdout, stdin…): its fd is handed to the new child.
---@alias cp.StdioEntry "pipe"|"ignore"|"inherit"|"ipc"|integer|file*|cp.Readable|cp.Writable|nil
---@alias cp.Stdio "pipe"|"ignore"|"inherit"|cp.StdioEntry[]

--- `err.code` of an error: an exit code (exec), a libuv error name for a
--- failed system call, or one of the module's own codes.
---@alias cp.ErrorCode
---| integer                               # exec/execFile/execSync: the child's exit status
---| "ENOENT"|"EACCES"|"EPIPE"|"EAGAIN"|"EMFILE"|"EINVAL"|"ENOMEM" # libuv error names (uv_err_name), with errno and syscall
---| "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"     # exec: a stream passed maxBuffer; the child is killed
---| "ERR_IPC_CHANNEL_CLOSED"                # send() after the channel closed
---| "ERR_IPC_BAD_MESSAGE"                   # a message that is not JSON, too long, or cut off
---| "ERR_STREAM_WRITE_AFTER_END"            # write() after end()/close()
---| "ERR_STREAM_DESTROYED"                  # write()/end() after destroy()
---| "ERR_STREAM_ALREADY_FINISHED"           # end() twice
---| "ERR_IPC_DISCONNECTED"                  # disconnect() on a channel already disconnected
---| "ERR_INVALID_ARG_VALUE"                 # an option value Node refuses too (e.g. killSignal 0)
---| "ERR_UNHANDLED_ERROR"                   # exec: a non-table error raised while stopping the child
---| "ERR_HANDLER"                           # request: the handler raised without a code
---| "ERR_REPLY_ENCODE"                      # request: the handler's reply cannot be encoded
---| "ERR_POOL_CLOSED"                       # pool:run() after close()
---| "ERR_POOL_QUEUE_FULL"                   # pool:run() with maxQueue tasks waiting
---| "ERR_POOL_TERMINATED"                   # pool:terminate() failed the task
---| "ERR_WORKER_EXITED"                     # the pool worker running the task died
---| "ERR_WORKER_INIT"                       # pool workers fail to start, again and again
---| "ECHILD"                                # the host reaped the child: its status is unknown
---| "ABORT_ERR"                             # options.signal aborted

--- What every function that starts a child takes.
---@class cp.BaseOptions
---@field cwd? string               working directory ("" = the parent's)
---@field env? table<string,string> replaces the environment (default: inherit)
---@field argv0? string             explicit argv[0]
---@field detached? boolean         new session / process group
---@field uid? integer
---@field gid? integer
---@field timeout? integer          ms; then the child gets killSignal (math.huge: none)
---@field killSignal? cp.Signal     default "SIGTERM"; names case-insensitive; not 0
---@field group? boolean            leader of a new process group (not with detached)
---@field dieWithParent? boolean    killed (killSignal) when this process dies, even by SIGKILL (Linux)
---@field signal? cp.AbortSignal    aborting kills the child and emits error ABORT_ERR
---@field maxMessageSize? integer   IPC: longest message accepted (default 64 MiB)

---@class cp.SpawnOptions: cp.BaseOptions
---@field stdio? cp.Stdio           1-based: stdio[1] is fd 0
---@field shell? boolean|string     run `command` through `shell -c`

--- exec and execFile: stdout and stderr are always captured.
---@class cp.ExecOptions: cp.BaseOptions
---@field shell? boolean|string     execFile: run through a shell (exec always does)
---@field maxBuffer? integer        bytes kept per stream (default 1 MiB)

---@class cp.SyncOptions: cp.SpawnOptions
---@field maxBuffer? integer        bytes kept per stream (default 1 MiB)
---@field input? string             written to the child's stdin

--- fork never uses a shell.
---@class cp.ForkOptions: cp.BaseOptions
---@field stdio? cp.Stdio           must hold one "ipc" entry (default: inherit, inherit, inherit, ipc)
---@field execPath? string          interpreter (default: the running Lua)
---@field execArgv? string[]        its arguments (default: the parent interpreter's options)
---@field silent? boolean           pipe stdout/stderr instead of inheriting
---@field serialization? "json"
---@field bootstrap? boolean        add the Lua child runtime (default: execPath is lua*)

---@class cp.Error
---@field code cp.ErrorCode         "ENOENT", an exit code, "ERR_…"
---@field message string
---@field errno? integer
---@field syscall? string
---@field path? string
---@field spawnargs? string[]
---@field signal? string
---@field killed? boolean
---@field cmd? string
---@field stdout? string
---@field stderr? string
---@field status? integer
---@field output? table<integer,string> execSync/execFileSync: spawnSync's output
---@field pid? integer              execSync/execFileSync; cp.kill: the pid it was given
---@field name? string              "AbortError" for code "ABORT_ERR"
---@field cause? any                ABORT_ERR: the AbortSignal's reason

---@class cp.Emitter
local Emitter = {}
---@param event string
---@param fn function
---@return self
function Emitter:on(event, fn) end
---@param event string
---@param fn function
---@return self
function Emitter:once(event, fn) end
---@param event string
---@param fn function
---@return self
function Emitter:off(event, fn) end
---@param event string
---@return boolean had_listeners
function Emitter:emit(event, ...) end
---@param event string
---@return integer
function Emitter:listenerCount(event) end
--- Node's alias of on.
---@param event string
---@param fn function
---@return self
function Emitter:addListener(event, fn) end
--- Node's alias of off.
---@param event string
---@param fn function
---@return self
function Emitter:removeListener(event, fn) end

--- stdout, stderr and extra pipes. Events: "data"(chunk: string), "line"(line: string), "end", "close",
--- "error"(err: cp.Error).  "line": split on "\n" and "\r\n", the last line without its newline.
---@class cp.Readable: cp.Emitter
---@field readable boolean
---@field handedOver boolean|nil    true once given to another child as a stdio entry
local Readable = {}
--- `for line in s:lines() do … end`: yields in cp.async, runs the loop elsewhere.
---@return fun(): string|nil
function Readable:lines() end
--- Copy into `dest` with backpressure; ends it when this stream ends unless `end = false`.
---@generic W
---@param dest W                    a cp.Writable (or an object with write/close), or a Lua file
---@param options? { ["end"]: boolean }
---@return W dest
function Readable:pipe(dest, options) end
---@overload fun(self: cp.Readable, event: "data", fn: fun(chunk: string)): cp.Readable
---@overload fun(self: cp.Readable, event: "end"|"close", fn: fun()): cp.Readable
---@overload fun(self: cp.Readable, event: "error", fn: fun(err: cp.Error)): cp.Readable
---@param event string
---@param fn function
---@return self
function Readable:on(event, fn) end
---@return self
function Readable:pause() end
---@return self
function Readable:resume() end
---@return boolean
function Readable:isPaused() end
---@return self
function Readable:destroy() end
--- Let the loop exit while this stream is open (ref undoes it).
function Readable:ref() end
function Readable:unref() end
--- Extra pipes (fd 3 and up) are duplex sockets: they can be written too.
---@param data string
---@param cb? fun(err: cp.Error|nil)
---@return boolean below_high_water
function Readable:write(data, cb) end

--- stdin. Events: "drain", "finish", "close", "error"(err: cp.Error).
---@class cp.Writable: cp.Emitter
---@field writable boolean
local Writable = {}
---@overload fun(self: cp.Writable, event: "drain"|"finish"|"close", fn: fun()): cp.Writable
---@overload fun(self: cp.Writable, event: "error", fn: fun(err: cp.Error)): cp.Writable
---@param event string
---@param fn function
---@return self
function Writable:on(event, fn) end
--- Returns false once more than 64 KiB is queued; wait for "drain".
---@param data string
---@param cb? fun(err: cp.Error|nil)
---@return boolean
function Writable:write(data, cb) end
--- Flush, then close (the child reads EOF). Node's `end`.
---@param data? string
---@param cb? fun()
---@return self
function Writable:close(data, cb) end
---@return self
function Writable:destroy() end
---@return integer bytes still queued
function Writable:queued() end
--- Node's name of close: flush, then close.
---@param data? string
---@param cb? fun()
---@return self
Writable["end"] = function(self, data, cb) end
function Writable:ref() end
function Writable:unref() end

--- Events: "spawn"(), "error"(err), "message"(msg), "exit"(code, signal),
--- "disconnect"(), "close"(code, signal) — always last, exactly once.
--- A to-be-closed value: leaving the scope of `local c <close> = cp.spawn(…)` kills a child still running (killSignal).
---@class ChildProcess: cp.Emitter
---@field pid integer|nil
---@field exitCode integer|nil
---@field signalCode string|nil
---@field killed boolean
---@field connected boolean
---@field spawnfile string
---@field spawnargs string[]
---@field stdin cp.Writable|nil
---@field stdout cp.Readable|nil
---@field stderr cp.Readable|nil
---@field stdio (cp.Readable|cp.Writable|nil)[]
local ChildProcess = {}
--- Add a listener; the callback's arguments depend on the event.
---@overload fun(self: ChildProcess, event: "spawn"|"disconnect", fn: fun()): ChildProcess
---@overload fun(self: ChildProcess, event: "exit"|"close", fn: fun(code: integer|nil, signal: string|nil)): ChildProcess
---@overload fun(self: ChildProcess, event: "message", fn: fun(msg: any)): ChildProcess
---@overload fun(self: ChildProcess, event: "error", fn: fun(err: cp.Error)): ChildProcess
---@param event string
---@param fn function
---@return self
function ChildProcess:on(event, fn) end
--- As on, for one call.
---@overload fun(self: ChildProcess, event: "spawn"|"disconnect", fn: fun()): ChildProcess
---@overload fun(self: ChildProcess, event: "exit"|"close", fn: fun(code: integer|nil, signal: string|nil)): ChildProcess
---@overload fun(self: ChildProcess, event: "message", fn: fun(msg: any)): ChildProcess
---@overload fun(self: ChildProcess, event: "error", fn: fun(err: cp.Error)): ChildProcess
---@param event string
---@param fn function
---@return self
function ChildProcess:once(event, fn) end
--- With { group = true }: the child's process group (options.group or detached), also after its exit.
---@param signal? cp.Signal
---@param options? { group: boolean }
---@return boolean sent
function ChildProcess:kill(signal, options) end
--- send(msg [, handle] [, options] [, cb]): handle travels with Node's
--- NODE_HANDLE protocol.
---@param msg any
---@param handle? cp.Handle|fun(err: cp.Error|nil)
---@param options? {keepOpen?: boolean}|fun(err: cp.Error|nil)
---@param cb? fun(err: cp.Error|nil)
---@return boolean below_high_water
function ChildProcess:send(msg, handle, options, cb) end
---@param msg any
---@param transfer? cp.MessagePort[]   neutered here once sent (at most 253)
---@return boolean
function ChildProcess:postMessage(msg, transfer) end
--- A second call: `error` event ERR_IPC_DISCONNECTED.
function ChildProcess:disconnect() end
function ChildProcess:ref() end
function ChildProcess:unref() end
--- spawn/fork: code, signal. exec/execFile: err, stdout, stderr.
--- With timeout_ms: nil, "timeout" when time runs out (math.huge: no limit).
---@param timeout_ms? number
---@return any ...
function ChildProcess:wait(timeout_ms) end
--- Send a request that the child answers with process.handle(fn).
--- options.timeout (ms): then err.code == "ETIMEDOUT".
---@param value any
---@param options? {timeout?: number}
---@param callback? fun(err: cp.Error|nil, reply: any)
---@return cp.Pending
function ChildProcess:request(value, options, callback) end

--- A request (child:request) or a pool job (pool:run, pool:map).
---@class cp.Pending
---@field done boolean|nil        true once answered (or failed)
---@field err cp.Error|nil
---@field result any
local Pending = {}
--- err, result.  Yields inside cp.async and under the scheduler given to
--- cp.use_scheduler / cp.use_cqueues (the same wait as ChildProcess:wait);
--- elsewhere runs the loop.  After timeout_ms: an ETIMEDOUT error, and the
--- request goes on (math.huge: no limit).
---@param timeout_ms? number
---@return cp.Error|nil err
---@return any result
function Pending:wait(timeout_ms) end

---@class cp.PoolOptions: cp.ForkOptions
---@field size? integer             workers (default: CPUs online)
---@field maxQueue? integer         tasks waiting beyond it fail at once (ERR_POOL_QUEUE_FULL)
---@field taskTimeout? number       ms per task; then ETIMEDOUT and the worker is replaced
---@field maxTasksPerWorker? integer recycle a worker after this many tasks
---@field idleTimeout? number       ms; idle workers exit (they come back on demand)
---@field concurrency? integer      tasks (or batches) a worker holds at once (default 1)
---@field batch? integer            most tasks sent in one message (default 64 run() tasks, 1024 map() items; 1 with taskTimeout)
---@field args? string[]            the workers' arguments

---@class cp.PoolStats
---@field workers integer
---@field busy integer
---@field queued integer
---@field running integer
---@field done integer
---@field failed integer

--- Events: "error"(err) (a worker could not start), "exit"(code, signal, pid),
--- "close"() once closed and every worker is gone.
---@class cp.Pool: cp.Emitter
---@field stats cp.PoolStats
---@field closed boolean
local Pool = {}
---@param value any
---@param callback? fun(err: cp.Error|nil, result: any)
---@return cp.Pending
function Pool:run(value, callback) end
--- Results in input order; the first failing item fails the job (err.index).
---@param list any[]
---@param callback? fun(err: cp.Error|nil, results: any[]|nil)
---@return cp.Pending
function Pool:map(list, callback) end
--- Take no more tasks, finish the queue, then let the workers exit.
---@param callback? fun()
function Pool:close(callback) end
--- Kill the workers; queued and running tasks fail (ERR_POOL_TERMINATED).
---@param callback? fun()
function Pool:terminate(callback) end

---@class cp.SpawnSyncResult
---@field pid integer
---@field output (string|nil)[]   output[2] stdout, output[3] stderr
---@field stdout string|nil
---@field stderr string|nil
---@field status integer|nil
---@field signal string|nil
---@field error cp.Error|nil

---@class cp.Json
---@field null userdata            JSON null
---@field array_mt table           metatable that marks a table as an array
---@field empty_array table        an empty JSON array (do not mutate)
local Json = {}
---@param value any
---@return string
function Json.encode(value) end
---@param text string
---@return any
function Json.decode(text) end

--- In a forked child (Electron style).
---@class cp.ParentPort: cp.Emitter
local ParentPort = {}
---@overload fun(self: cp.ParentPort, event: "message", fn: fun(e: { data: any })): cp.ParentPort
---@param event string
---@param fn function
---@return self
function ParentPort:on(event, fn) end
---@param msg any
---@param transfer? cp.MessagePort[]
---@return boolean
function ParentPort:postMessage(msg, transfer) end
--- Answer requests: fn(value) returns the reply (it may yield: wait()).
---@param fn fun(value: any): any
function ParentPort:handle(fn) end


--- What send(msg, handle) takes: a port, a stream of this module, a file, an fd.
---@alias cp.Handle cp.MessagePort|cp.Readable|file*|integer

---@class cp.MessageEvent
---@field data any
---@field ports cp.MessagePort[]

--- One end of cp.MessageChannel(): events "message" (fn(e: cp.MessageEvent))
--- and "close".
---@class cp.MessagePort: cp.Emitter
local MessagePort = {}
---@param value any
---@param transfer? cp.MessagePort[]
---@return boolean below_high_water
function MessagePort:postMessage(value, transfer) end
function MessagePort:start() end
function MessagePort:close() end
function MessagePort:ref() end
function MessagePort:unref() end

--- Electron's utilityProcess: events "spawn", "exit" (code), "message",
--- "error" (type, location, report).
---@class cp.UtilityProcess: cp.Emitter
---@field pid integer|nil
---@field stdout cp.Readable|nil
---@field stderr cp.Readable|nil
---@field serviceName string
local UtilityProcess = {}
---@param msg any
---@param transfer? cp.MessagePort[]
---@return boolean
function UtilityProcess:postMessage(msg, transfer) end
---@return boolean
function UtilityProcess:kill() end

---@class cp.UtilityForkOptions
---@field env? table<string,string>
---@field cwd? string
---@field execArgv? string[]
---@field execPath? string
---@field stdio? "pipe"|"ignore"|"inherit"|cp.StdioEntry[]
---@field serviceName? string

---@class cp.UtilityProcessModule
local UtilityProcessModule = {}
---@param modulePath string
---@param args? string[]
---@param options? cp.UtilityForkOptions
---@return cp.UtilityProcess
function UtilityProcessModule.fork(modulePath, args, options) end

---@class cp.Server: cp.Emitter
---@field path string
local Server = {}
---@param cb? fun()
function Server:close(cb) end

---@class cp.Net
local Net = {}
---@param path string
---@param on_connection fun(stream: cp.Readable)
---@return cp.Server|nil, cp.Error|nil
function Net.listen(path, on_connection) end
---@param path string
---@return cp.Readable|nil, cp.Error|nil
function Net.connect(path) end



--- options.signal. Events: "abort"(reason).
---@class cp.AbortSignal: cp.Emitter
---@field aborted boolean
---@field reason any
local AbortSignal = {}
--- Raise the reason if aborted.
function AbortSignal:throwIfAborted() end

---@class cp.AbortController
---@field signal cp.AbortSignal
---@field abort fun(self_or_reason?: any, reason?: any)  ac:abort(reason) or ac.abort(reason)

---@class child_process
---@field json cp.Json
---@field parentPort cp.ParentPort|nil  set in a forked Lua child only
---@field ChildProcess ChildProcess     the class (methods shared by every child)
---@field MessagePort cp.MessagePort    the class of cp.MessageChannel()'s ports
---@field _VERSION string               "0.1.0"
---@field utilityProcess cp.UtilityProcessModule
---@field net cp.Net
local M = {}

---@return cp.MessagePort port1, cp.MessagePort port2
function M.MessageChannel() end

---@overload fun(command: string, options?: cp.SpawnOptions): ChildProcess
---@param command string
---@param args? string[]
---@param options? cp.SpawnOptions
---@return ChildProcess
function M.spawn(command, args, options) end

---@overload fun(command: string, callback?: fun(err: cp.Error|nil, stdout: string, stderr: string)): ChildProcess
---@param command string
---@param options? cp.ExecOptions
---@param callback? fun(err: cp.Error|nil, stdout: string, stderr: string)
---@return ChildProcess
function M.exec(command, options, callback) end

---@overload fun(file: string, callback?: fun(err: cp.Error|nil, stdout: string, stderr: string)): ChildProcess
---@overload fun(file: string, args: string[], callback?: fun(err: cp.Error|nil, stdout: string, stderr: string)): ChildProcess
---@overload fun(file: string, options: cp.ExecOptions, callback?: fun(err: cp.Error|nil, stdout: string, stderr: string)): ChildProcess
---@param file string
---@param args? string[]
---@param options? cp.ExecOptions
---@param callback? fun(err: cp.Error|nil, stdout: string, stderr: string)
---@return ChildProcess
function M.execFile(file, args, options, callback) end

---@overload fun(modulePath: string, options?: cp.ForkOptions): ChildProcess
---@param modulePath string
---@param args? string[]
---@param options? cp.ForkOptions
---@return ChildProcess
function M.fork(modulePath, args, options) end

---@param modulePath string       a worker script that calls process.handle(fn)
---@param options? cp.PoolOptions
---@return cp.Pool
function M.pool(modulePath, options) end

---@overload fun(command: string, options?: cp.SyncOptions): cp.SpawnSyncResult
---@param command string
---@param args? string[]
---@param options? cp.SyncOptions
---@return cp.SpawnSyncResult
function M.spawnSync(command, args, options) end

---@param command string
---@param options? cp.SyncOptions
---@return string stdout
function M.execSync(command, options) end

---@overload fun(file: string, options?: cp.SyncOptions): string
---@param file string
---@param args? string[]
---@param options? cp.SyncOptions
---@return string stdout
function M.execFileSync(file, args, options) end

---@param mode? "default"|"once"|"nowait"
---@return boolean work_remains
function M.run(mode) end

--- Run the module on luv's loop (before its first spawn), so that one uv.run()
--- drives both; a clear error when luv carries its own copy of libuv.
---@param luv table  the luv module table (require "luv")
function M.use_luv(luv) end

---@return integer fd
function M.backend_fd() end

---@return integer ms  -1 for none
function M.backend_timeout() end

---How long the loop may poll before it sleeps while an IPC channel is
---open; with an argument, sets the maximum first (0: never poll).
---@param max_us? integer  0 to 1000000
---@return integer max_us
---@return integer window_us  the adaptive window now
function M.busy_poll(max_us) end

---@param fn function
---@return thread
function M.async(fn, ...) end

---@return string path of the forked child's bootstrap script
function M.bootstrap_path() end

---The module's loop as a pollable (cqueues' protocol), handed to
---cp.Scheduler.wait.
---@class cp.Pollable
---@field pollfd fun(self: cp.Pollable): integer  the loop's backend fd
---@field events fun(self: cp.Pollable): "r"
---@field timeout fun(self: cp.Pollable): number|nil  seconds until the loop's next timer, nil for none

---What cp.use_scheduler needs of a coroutine scheduler.
---@class cp.Scheduler
---@field running fun(): boolean  is the running coroutine one this scheduler runs (may wait() yield)?
---yield until p:pollfd() is readable, p:timeout() s pass, or wake(p);
---several coroutines may wait on the same fd at once
---@field wait fun(p: cp.Pollable)
---@field wake fun(p: cp.Pollable)  end a wait(p) early; nothing if p is not waiting

---From now on wait() in a coroutine the scheduler runs yields to it while it
---drives the loop; nil goes back to blocking waits.
---@param hook cp.Scheduler|nil
function M.use_scheduler(hook) end

---use_scheduler with the hook for cqueues.
---@param cqueues table  the cqueues module table (require "cqueues")
function M.use_cqueues(cqueues) end

--- A copy of the environment with overrides (false removes a variable), for options.env.
---@param overrides? table<string, string|number|false>
---@return table<string,string>
function M.env(overrides) end

--- Node's process.kill: a negative pid is a process group; 0 only checks.
---@param pid integer
---@param signal? cp.Signal
---@return boolean sent
---@return cp.Error|nil err  code "ESRCH" for a pid that is gone, "EPERM"…
function M.kill(pid, signal) end

---@return cp.AbortController
function M.AbortController() end

--- The forked child's global (Node style).
---@class cp.Process
---@field parentPort cp.ParentPort
---@field connected boolean
---@field argv string[]
---@field pid integer
---@field ppid integer
---@field env table<string,string>
---@field exitCode integer|nil       the status exit() uses when given none
---@field send fun(msg: any, handle?: cp.Handle|function, options?: table|function, cb?: function): boolean
---@field on fun(event: "message"|"disconnect"|"error", fn: function): cp.Process
---@field once fun(event: string, fn: function): cp.Process
---@field off fun(event: string, fn: function): cp.Process
---@field emit fun(event: string, ...): boolean
---@field disconnect fun()
---@field handle fun(fn: fun(value: any): any)  answer child:request() / pool tasks
---@field exit fun(code?: integer)
---@type cp.Process
process = nil

return M
