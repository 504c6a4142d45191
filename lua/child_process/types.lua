---@meta child_process
--- LuaLS (lua-language-server) annotations for the public API of
--- child_process.  This file is never executed: it describes types so that
--- editors complete and type-check user code.  Keep it in step with the API.

---@alias cp.Signal string|integer  # "SIGTERM", "SIGKILL"… or a number
---@alias cp.StdioEntry "pipe"|"ignore"|"inherit"|"ipc"|integer|file*|nil
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

--- What every function that starts a child takes.
---@class cp.BaseOptions
---@field cwd? string               working directory
---@field env? table<string,string> replaces the environment (default: inherit)
---@field argv0? string             explicit argv[0]
---@field detached? boolean         new session / process group
---@field uid? integer
---@field gid? integer
---@field timeout? number           ms; then the child gets killSignal
---@field killSignal? cp.Signal     default "SIGTERM"
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
---@field execArgv? string[]        its arguments
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

--- stdout, stderr and extra pipes. Events: "data"(chunk: string), "end", "close", "error"(err: cp.Error).
---@class cp.Readable: cp.Emitter
---@field readable boolean
local Readable = {}
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
---@param signal? cp.Signal
---@return boolean sent
function ChildProcess:kill(signal) end
---@param msg any
---@param cb? fun(err: cp.Error|nil)
---@return boolean below_high_water
function ChildProcess:send(msg, cb) end
---@param msg any
---@return boolean
function ChildProcess:postMessage(msg) end
function ChildProcess:disconnect() end
function ChildProcess:ref() end
function ChildProcess:unref() end
--- spawn/fork: code, signal. exec/execFile: err, stdout, stderr.
--- With timeout_ms: nil, "timeout" when time runs out.
---@param timeout_ms? number
---@return any ...
function ChildProcess:wait(timeout_ms) end

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
---@return boolean
function ParentPort:postMessage(msg) end

---@class child_process
---@field json cp.Json
---@field parentPort cp.ParentPort|nil  set in a forked Lua child only
---@field ChildProcess ChildProcess     the class (methods shared by every child)
---@field _VERSION string               "0.1.0"
local M = {}

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

--- The forked child's global (Node style).
---@class cp.Process
---@field parentPort cp.ParentPort
---@field connected boolean
---@field argv string[]
---@field pid integer
---@field ppid integer
---@field env table<string,string>
---@field exitCode integer|nil       the status exit() uses when given none
---@field send fun(msg: any, cb?: fun(err: cp.Error|nil)): boolean
---@field on fun(event: "message"|"disconnect"|"error", fn: function): cp.Process
---@field once fun(event: string, fn: function): cp.Process
---@field off fun(event: string, fn: function): cp.Process
---@field emit fun(event: string, ...): boolean
---@field disconnect fun()
---@field exit fun(code?: integer)
---@type cp.Process
process = nil

return M
