-- Port of Node's test/parallel/test-child-process-double-pipe.js:
-- echo | grep o | sed s/o/O/ wired by hand through the parent with
-- pause/resume backpressure; every child must exit (a leaked pipe fd
-- would make grep and sed hang).  Translated: stdin.end() is close();
-- mustCallAtLeast is "called at least once".  Dropped: the Windows
-- branch and the debug logs.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-double-pipe", function()
  it("echo | grep | sed through the parent", function()
    local grep = cp.spawn("grep", { "o" })
    local sed = cp.spawn("sed", { "s/o/O/" })
    local echo = cp.spawn("echo", { "hello\nnode\nand\nworld\n" })
    local counts = { echo = 0, grep = 0, sed = 0 }

    echo.stdout:on("data", function(data)
      counts.echo = counts.echo + 1
      if not grep.stdin:write(data) then echo.stdout:pause() end
    end)
    grep.stdin:on("drain", function() echo.stdout:resume() end)
    echo.stdout:on("end", N.mustCall(function() grep.stdin:close() end))
    echo:on("exit", N.mustCall())
    grep:on("exit", N.mustCall())
    sed:on("exit", N.mustCall())

    grep.stdout:on("data", function(data)
      counts.grep = counts.grep + 1
      if not sed.stdin:write(data) then grep.stdout:pause() end
    end)
    sed.stdin:on("drain", function() grep.stdout:resume() end)
    grep.stdout:on("end", N.mustCall(function() sed.stdin:close() end))

    local result = ""
    sed.stdout:on("data", function(data)
      counts.sed = counts.sed + 1
      result = result .. data
    end)
    sed.stdout:on("end", N.mustCall(function()
      assert.are.equal("hellO\nnOde\nwOrld\n", result)
    end))
    N.finish()
    for k, n in pairs(counts) do assert.is_true(n >= 1, k) end
    for _, c in ipairs({ echo, grep, sed }) do H.wait_close(c) end
    H.assert_clean()
  end)
end)
