-- W11 worker for this module's pool: n -> n*2.
process.handle(function(n) return n * 2 end)
