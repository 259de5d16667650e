-- A scenario that breaks the machine through the page primitives: the
-- checker must catch it at the end.
local m = memhp.machine{ram = "1G", phys_size = "64G", check_after_ops = false}
expect_ok(m:add_memory("4G", "128M"))
expect_ok(m:online(32, "online_movable"))
local p = m:pfn_to_online_page(m:block_pfn(32) + 1024)
expect(p:PageBuddy(), "a free chunk's head")
p:ref_inc()
