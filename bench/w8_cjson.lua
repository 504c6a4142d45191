-- W8 (peer: lua-cjson): encode and decode of bench/data/message.json,
-- N times each.  args: N
local B = require("bench.common")
package.path = "bench/?.lua;" .. package.path
local cjson = require("cjson")
local check = require("json_check")
local N = B.arg(1, 200000)
local f = assert(io.open("bench/data/message.json", "rb"))
local text = f:read("a")
f:close()
local encode, decode = cjson.encode, cjson.decode
local value = decode(text)
local out = encode(value)
for _ = 1, N // 20 do decode(text) encode(value) end
local t0 = B.now()
for _ = 1, N do decode(text) end
local dt = B.now() - t0
B.result("dec_ops", N / dt, "ops/s")
B.result("dec_mbs", N * #text / dt / 1e6, "MB/s")
t0 = B.now()
for _ = 1, N do encode(value) end
dt = B.now() - t0
B.result("enc_ops", N / dt, "ops/s")
B.result("enc_mbs", N * #out / dt / 1e6, "MB/s")
local exact = check.roundtrip(encode, decode, text) and check.numbers_exact(decode, text)
B.result("exact", exact and 1 or 0, "bool")
