-- Port of Node's test/parallel/test-child-process-validate-stdio.js.
-- Translated: Node tests its internal getValidStdio(); here the same rules
-- are checked through spawn / spawnSync, the public functions that apply
-- them: ERR_INVALID_ARG_VALUE and ERR_INVALID_SYNC_FORK_INPUT are `bad
-- argument` errors, ERR_IPC_SYNC_FORK too (a sync call with 'ipc').
-- Dropped: the shape of getValidStdio's result (ipc, ipcFd: internals) —
-- what stays checked is that fewer than 3 entries still give the child 3
-- stdio fds, and that {stdin, stdout, stderr} files are accepted as fds.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-validate-stdio", function()
  after_each(function() H.assert_clean() end)

  it("a string other than ignore, pipe, inherit is refused", function()
    H.assert_bad_argument("option 'stdio'", cp.spawn, "true", {}, { stdio = "foo" })
  end)

  it("something neither a string nor an array is refused", function()
    H.assert_bad_argument("option 'stdio'", cp.spawn, "true", {}, { stdio = 600 })
  end)

  it("fewer than 3 entries: the child still has stdin, stdout, stderr", function()
    local r = cp.spawnSync("sh", { "-c", "echo out; echo err >&2" }, { stdio = {} })
    assert.are.equal("out\n", r.stdout)
    assert.are.equal("err\n", r.stderr)
  end)

  it("ipc in a sync call is refused", function()
    H.assert_bad_argument("'ipc'", cp.spawnSync, "true", {}, { stdio = { "ipc", "pipe", "pipe" } })
  end)

  it("an entry that is not a valid input is refused", function()
    H.assert_bad_argument("option 'stdio[1]'", cp.spawnSync, "true", {}, { stdio = { "foo" } })
    H.assert_bad_argument("option 'stdio[1]'", cp.spawn, "true", {}, { stdio = { { foo = "bar" } } })
  end)

  it("the process's own stdin, stdout and stderr are accepted", function()
    local r = cp.spawnSync("true", {}, { stdio = { io.stdin, io.stdout, io.stderr } })
    assert.is_nil(r.error)
    assert.are.equal(0, r.status)
  end)
end)
