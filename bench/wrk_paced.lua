-- wrk.lua, each connection waiting DELAY ms before each request: a fixed offered rate
-- (connections x 1000 / DELAY per second), for the latency at a given load. Arguments: DELAY METHOD [BODY].
dofile("bench/wrk.lua")
local plain_init = init
local pause = 0

function init(args)
  pause = tonumber(args[1])
  plain_init({ args[2], args[3] })
end

function delay()
  return pause
end
