---@meta child_process
--- LuaLS (lua-language-server) annotations for the public API of
--- child_process.  This file is never executed: it describes types so that
--- editors complete and type-check user code.  Keep it in step with the API.

---@alias cp.Signal string|integer  # "SIGTERM", "SIGKILL"… or a number
---@alias cp.StdioEntry "pipe"|"ignore"|"inherit"|"ipc"|integer|file*|nil
---@alias cp.Stdio "pipe"|"ignore"|"inherit"|cp.StdioEntry[]

---@class cp.SpawnOptions
---@field cwd? string               working directory
---@field env? table<string,string> replaces the environment (default: inherit)
---@field argv0? string             explicit argv[0]
---@field stdio? cp.Stdio           1-based: stdio[1] is fd 0
---@field detached? boolean         new session / process group
---@field uid? integer
---@field gid? integer
---@field shell? boolean|string     run `command` through `shell -c`
---@field timeout? number           ms; then the child gets killSignal
---@field killSignal? cp.Signal     default "SIGTERM"
---@field maxMessageSize? integer   IPC: longest message accepted (default 64 MiB)

---@class cp.ExecOptions: cp.SpawnOptions
---@field maxBuffer? integer        bytes kept per stream (default 1 MiB)

---@class cp.SyncOptions: cp.ExecOptions
---@field input? string             written to the child's stdin

---@class cp.ForkOptions: cp.SpawnOptions
---@field execPath? string          interpreter (default: the running Lua)
---@field execArgv? string[]        its arguments
---@field silent? boolean           pipe stdout/stderr instead of inheriting
---@field serialization? "json"
---@field bootstrap? boolean        add the Lua child runtime (default: execPath is lua*)

---@class cp.Error
---@field code string|integer       "ENOENT", an exit code, "ERR_…"
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

--- stdout, stderr and extra pipes. Events: "data"(chunk: string), "end", "close", "error"(err: cp.Error).
---@class cp.Readable: cp.Emitter
---@field readable boolean
local Readable = {}
---@return self
function Readable:pause() end
---@return self
function Readable:resume() end
---@return boolean
function Readable:isPaused() end
---@return self
function Readable:destroy() end

--- stdin. Events: "drain", "finish", "close", "error"(err: cp.Error).
---@class cp.Writable: cp.Emitter
---@field writable boolean
local Writable = {}
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
---@param signal? cp.Signal
---@return boolean sent
function ChildProcess:kill(signal) end
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
---@param msg any
---@param transfer? cp.MessagePort[]
---@return boolean
function ParentPort:postMessage(msg, transfer) end

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

---@class child_process
---@field json cp.Json
---@field parentPort cp.ParentPort|nil
---@field utilityProcess cp.UtilityProcessModule
---@field net cp.Net
local M = {}

---@return cp.MessagePort port1, cp.MessagePort port2
function M.MessageChannel() end

---@param command string
---@param args? string[]
---@param options? cp.SpawnOptions
---@return ChildProcess
function M.spawn(command, args, options) end

---@param command string
---@param options? cp.ExecOptions
---@param callback? fun(err: cp.Error|nil, stdout: string, stderr: string)
---@return ChildProcess
function M.exec(command, options, callback) end

---@param file string
---@param args? string[]
---@param options? cp.ExecOptions
---@param callback? fun(err: cp.Error|nil, stdout: string, stderr: string)
---@return ChildProcess
function M.execFile(file, args, options, callback) end

---@param modulePath string
---@param args? string[]
---@param options? cp.ForkOptions
---@return ChildProcess
function M.fork(modulePath, args, options) end

---@param command string
---@param args? string[]
---@param options? cp.SyncOptions
---@return cp.SpawnSyncResult
function M.spawnSync(command, args, options) end

---@param command string
---@param options? cp.SyncOptions
---@return string stdout
function M.execSync(command, options) end

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
---@field send fun(msg: any, handle?: cp.Handle|function, options?: table|function, cb?: function): boolean
---@field on fun(event: "message"|"disconnect"|"error", fn: function): cp.Process
---@field once fun(event: string, fn: function): cp.Process
---@field off fun(event: string, fn: function): cp.Process
---@field disconnect fun()
---@field exit fun(code?: integer)
---@type cp.Process
process = nil

return M
