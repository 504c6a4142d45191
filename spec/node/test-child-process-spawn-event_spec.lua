-- Port of Node's test/parallel/test-child-process-spawn-event.js: `spawn`
-- comes before any stream or process event.  All assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawn-event", function()
  it("emits spawn first", function()
    local subprocess = cp.spawn("echo", { "ok" })
    local didSpawn = false
    subprocess:on("spawn", function() didSpawn = true end)
    local function mustCallAfterSpawn(n)
      return N.mustCall(function() assert.is_true(didSpawn) end, n)
    end
    subprocess:on("error", N.mustNotCall("error"))
    subprocess:on("spawn", N.mustCall())
    -- "ok\n" is one chunk from echo's one write.
    subprocess.stdout:on("data", mustCallAfterSpawn())
    subprocess.stdout:on("end", mustCallAfterSpawn())
    subprocess.stdout:on("close", mustCallAfterSpawn())
    subprocess.stderr:on("data", N.mustNotCall("stderr data"))
    subprocess.stderr:on("end", mustCallAfterSpawn())
    subprocess.stderr:on("close", mustCallAfterSpawn())
    subprocess:on("exit", mustCallAfterSpawn())
    subprocess:on("close", mustCallAfterSpawn())
    N.finish()
    H.assert_clean()
  end)
end)
