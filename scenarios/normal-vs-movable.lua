-- Kernel allocations pin ZONE_NORMAL; ZONE_MOVABLE stays offlinable.
--
-- Two hot-added blocks: one onlined to ZONE_NORMAL, one to ZONE_MOVABLE.
-- GFP_KERNEL allocations land in ZONE_NORMAL (never in ZONE_MOVABLE) and
-- are unmovable: isolating their pageblocks fails, so the offline fails
-- with -EBUSY before any notifier hears of it. Movable data in ZONE_MOVABLE
-- is migrated away and the offline succeeds with every page intact.
--
--   memhp run scenarios/normal-vs-movable.lua

local m = memhp.machine{ram = "1G", phys_size = "64G"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "256M"))
local normal, movable = m:block_id(base), m:block_id(base) + 1
expect_ok(m:online(normal, "online_kernel"))
expect_ok(m:online(movable, "online_movable"))
expect_eq(m:block(normal).zone, "Normal")
expect_eq(m:block(movable).zone, "Movable")

local events = {}
m:register_memory_notifier(function(event)
	events[#events + 1] = event
end)

local k = m:kalloc()
expect_eq(k:alloc(1000), 1000)
local d = m:data()
expect_eq(d:alloc(1000), 1000)
expect(m:meminfo().kernel_pages >= 1000)

-- The kernel pages sit in the Normal block: it cannot go.
expect_errno(m:offline(normal), "EBUSY", "ZONE_NORMAL with kernel allocations")
expect_eq(#events, 0, "isolation failed before MEM_GOING_OFFLINE")
expect_eq(m:state(normal), "online")

-- The movable block goes, its data migrated into the boot memory.
expect_ok(m:offline(movable), "ZONE_MOVABLE is offlinable")
expect_eq(table.concat(events, " "), "MEM_GOING_OFFLINE MEM_OFFLINE")
local bad, verified = d:verify()
expect_eq(bad, 0, "every migrated page intact")
expect_eq(verified, 1000)
expect_eq(d:nr_migrated(), 1000, "all of it moved")
expect_ok(m:remove_memory(base + memhp.size("128M"), "128M"), "and removed")

-- Once the kernel lets go, ZONE_NORMAL memory can go too.
k:free(k:nr_pages())
expect_ok(m:offline(normal), "nothing pins it any more")
