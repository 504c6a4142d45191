-- A pool worker: the FNV-1a (32-bit) hash of a file, computed in Lua.
-- process.handle(fn) answers each request with what fn returns; an error
-- fn raises goes back to the caller (message, code, traceback).
process.handle(function(path)
  local f, err = io.open(path, "rb")
  if not f then error({ code = "ENOENT", message = err }) end
  local data = f:read("a")
  f:close()
  local h = 2166136261
  for i = 1, #data do
    h = ((h ~ data:byte(i)) * 16777619) & 0xffffffff
  end
  return { path = path, bytes = #data, fnv1a = ("%08x"):format(h) }
end)
