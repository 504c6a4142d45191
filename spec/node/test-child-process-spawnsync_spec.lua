-- Port of Node's test/parallel/test-child-process-spawnsync.js.
-- Translated: getSystemErrorName(errno) is errno == -2; common.pwdCommand
-- is `pwd`; tmpdir is a fresh directory.  The encoding cases (Buffer
-- default vs 'buffer' vs 'utf8') are one case here, since output is
-- always strings: output[1] (stdin) is nil as Node's output[0] is null.
local N = require("node.common")
local cp = N.cp

describe("test-child-process-spawnsync", function()
  it("runs sleep 0", function()
    assert.are.equal(0, cp.spawnSync("sleep", { "0" }).status)
  end)

  it("reports a missing command", function()
    local ret_err = cp.spawnSync("command_does_not_exist", { "bar" }).error
    assert.are.equal("ENOENT", ret_err.code)
    assert.are.equal(-2, ret_err.errno)
    assert.are.equal("spawnSync command_does_not_exist", ret_err.syscall)
    assert.are.equal("command_does_not_exist", ret_err.path)
    assert.are.same({ "bar" }, ret_err.spawnargs)
  end)

  it("uses cwd", function()
    local cwd = os.tmpname()
    os.remove(cwd)
    assert(os.execute("mkdir " .. N.q(cwd)))
    local response = cp.spawnSync("pwd", { cwd = cwd })
    assert.are.equal(cwd, N.trim(response.stdout))
    os.execute("rmdir " .. N.q(cwd))
  end)

  it("output holds strings, nil for stdin", function()
    local ret = cp.spawnSync("pwd")
    assert.is_nil(ret.output[1])
    assert.are.equal(ret.stdout, ret.output[2])
    assert.are.equal(ret.stderr, ret.output[3])
    assert.are.equal("string", type(ret.stdout))
  end)
end)
