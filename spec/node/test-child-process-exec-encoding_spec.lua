-- Port of Node's test/parallel/test-child-process-exec-encoding.js.
-- Translated: the child (the test file re-run) is a `lua -e` that writes
-- foo on stdout and bar on stderr.  Kept: the default and `encoding =
-- 'utf8'` give strings.  Dropped: the Buffer encodings (undefined, null,
-- 'buffer', 'invalid' give Buffers in Node): output is always a string
-- here, and `encoding` is an option this module ignores, as it ignores
-- every unknown option (SPEC section 2).
local N = require("node.common")
local cp, H = N.cp, N.H

local cmd = N.lua_cmd("print('foo') io.stderr:write('bar\\n')")

describe("test-child-process-exec-encoding", function()
  it("stdout and stderr are strings", function()
    for _, options in ipairs({ {}, { encoding = "utf8" } }) do
      cp.exec(cmd, options, N.mustSucceed(function(stdout, stderr)
        assert.are.equal("string", type(stdout))
        assert.are.equal("string", type(stderr))
        assert.are.equal("foo\n", stdout)
        assert.are.equal("bar\n", stderr)
      end))
    end
    N.finish()
    H.assert_clean()
  end)
end)
