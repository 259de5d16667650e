-- A seed for fuzz_lua: the values at the edges that crashed memhp once
-- (issue 15): extreme integers, orders and pfns, finalizers, many findings.
local m = memhp.machine{ram = "256M", phys_size = "4G"}
pcall(math.random, math.mininteger, math.maxinteger)
pcall(m.random, m, math.mininteger, math.maxinteger)
pcall(memhp.generic_online_page, m:pfn_to_page(0x3ffff), 10)
pcall(memhp.free_pages, m:pfn_to_page(0x100), 5)
pcall(m.online, m, math.maxinteger, "online")
pcall(m.pfn_to_page, m, -1)
pcall(m.check, m)
setmetatable({}, {__gc = function() pcall(m.state, m, 1) end})
collectgarbage()
for i = 1, 3 do pcall(m.walkers, m, {threads = 8}) end
