-- exec (through /bin/sh) and execFile (no shell: arguments are passed as is).
local cp = require("child_process")

cp.exec("echo $((6 * 7)) && echo oops >&2 && exit 3", function(err, stdout, stderr)
  print("exec stdout:", (stdout:gsub("\n$", "")))
  print("exec stderr:", (stderr:gsub("\n$", "")))
  print("exec err.code:", err and err.code)
end)

cp.execFile("printf", { "%s|", "a b", "$HOME", "`x`" }, function(err, stdout)
  print("execFile:", err, stdout)
end)

cp.exec("sleep 5", { timeout = 100 }, function(err)
  print("timed out:", err.killed, err.signal)
end)

cp.run()
