-- W11c worker for this module's pool: n -> n*2; "crash" ends the worker.
process.handle(function(n)
  if n == "crash" then os.exit(3) end
  return n * 2
end)
