-- W11d's forked child: answers every request with its value.
process.handle(function(m) return m end)
