-- Appended to wrk-script.lua for fixed-rate runs (wrk decides at load whether a script has delay()).
-- Fixed rate: every request takes the next slot of this thread's schedule; a connection waits
-- for its slot. A schedule that falls behind (server too slow) restarts from now instead of
-- sending a burst to catch up, so the achieved rate shows the shortfall.
function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if next_slot == nil or next_slot < t then next_slot = t end
  local wait = next_slot - t
  next_slot = next_slot + interval
  return math.floor(wait)
end
