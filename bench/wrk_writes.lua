-- wrk.lua, also counting 5xx answers (wrk's own count lumps 4xx and 5xx together). Arguments: METHOD [BODY].
dofile("bench/wrk.lua")

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  end
end
