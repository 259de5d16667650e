-- Random choices everywhere: the library's (data:free picks pages) and the
-- script's (math.random). Same seed, same timeline; another seed, another.
local m = memhp.machine{ram = "1G", phys_size = "64G"}
expect_ok(m:add_memory("4G", "256M"))
expect_ok(m:online(32, "online_movable"))
expect_ok(m:online(33, "online_movable"))
local d = m:data()
d:alloc(3000)
d:free(1000)
for i = 1, 3 do
	local slot = math.random(0, d:nr_slots() - 1)
	m:trace_instant("picked slot", d:pfn(slot) or 0, slot)
end
print("random", m:random(1000000))
expect_ok(m:offline(32))
