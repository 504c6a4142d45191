-- The <close> specs of abort_spec.lua: to-be-closed variables are Lua 5.4
-- syntax, so this chunk is only loaded there (abort_spec.lua says pending
-- elsewhere).  Not a *_spec file: busted never loads it on its own.
local H, cp = ...

after_each(function() H.assert_clean() end)

it("leaving the scope kills a running child with its killSignal", function()
  local a, b
  do
    local c <close> = cp.spawn("sleep", { "100" })
    local d <close> = cp.spawn("sleep", { "100" }, { killSignal = "SIGKILL" })
    a, b = c, d
  end
  assert.are.same({ nil, "SIGTERM" }, { H.wait_close(a) })
  assert.are.same({ nil, "SIGKILL" }, { H.wait_close(b) })
  assert.is_true(a.killed)
end)

it("also when the scope is left by an error", function()
  local child
  local ok = pcall(function()
    local c <close> = cp.spawn("sleep", { "100" })
    child = c
    error("boom")
  end)
  assert.is_false(ok)
  assert.are.same({ nil, "SIGTERM" }, { H.wait_close(child) })
end)

it("a child that has exited is left alone", function()
  local child
  do
    local c <close> = cp.spawn("true")
    child = c
    assert.are.equal(0, (H.wait_close(c)))
  end
  assert.is_false(child.killed)
end)
