-- A virtio balloon does not stand in the way of offlining.
--
-- virtio-balloon built with balloon compaction (CONFIG_BALLOON_COMPACTION, as
-- distributions build it) marks the pages it takes PageOffline *and* movable.
-- offline_pages() hands them to migration like any movable page: the balloon
-- takes a new page elsewhere, tells the host "inflate new, deflate old", and
-- the old page is free. The host's view follows; the guest loses nothing.
-- Built without compaction, the same balloon pins its pages: it never takes
-- them from ZONE_MOVABLE, and a kernel-zone block holding them cannot go
-- until the balloon deflates.
--
--   memhp run scenarios/balloon-virtio.lua

local m = memhp.machine{ram = "1G", phys_size = "8G", protocol = "6.1"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "256M"))
local id = m:block_id(base)
expect_ok(m:online(id, "online_movable"))
local per_block = m:config().pages_per_block
local function in_block(pfn, block)
	return pfn >= m:block_pfn(block) and pfn < m:block_pfn(block) + per_block
end

-- GFP_HIGHUSER_MOVABLE: ZONE_MOVABLE first, that is memory32.
local b = m:balloon("virtio")
expect_eq(b:inflate(64), 64)
local pfns, held = b:host_pfns(64)
expect_eq(held, 64, "the host holds what the guest gave")
for _, pfn in ipairs(pfns) do
	expect(in_block(pfn, id), "ballooned from memory" .. id)
end
local p = m:pfn_to_page(pfns[1])
expect(p:PageOffline() and p:PageMovable(), "PageOffline, and movable")
expect_ok(m:online(id + 1, "online_movable"))	-- room to migrate to

local events = {}
m:register_memory_notifier(function(event) events[#events + 1] = event end)
expect_ok(m:offline(id), "the balloon pages migrate out of the way")
expect_eq(b:stats().migrated, 64)
expect_eq(b:stats().pages, 64, "the balloon is as big as before")
pfns, held = b:host_pfns(64)
expect_eq(held, 64)
for _, pfn in ipairs(pfns) do
	expect(in_block(pfn, id + 1), "the host now holds pages of memory" .. id + 1)
end
expect_eq(table.concat(events, " "), "MEM_GOING_OFFLINE MEM_OFFLINE")

-- ---- Without balloon compaction ------------------------------------------------------
local m2 = memhp.machine{ram = "1G", phys_size = "8G", protocol = "6.1"}
expect_ok(m2:add_memory(base, "128M"))
expect_ok(m2:online(id, "online_kernel"))
local pinned = m2:balloon("virtio-no-compaction")
-- GFP_HIGHUSER: the highest kernel zone, ZONE_NORMAL, that is memory32.
expect_eq(pinned:inflate(64), 64)
expect(not m2:pfn_to_page(pinned:host_pfns(1)[1]):PageMovable(), "not movable")
expect_errno(m2:offline(id), "EBUSY", "a referenced PageOffline page nobody lets go of")
expect_eq(m2:state(id), "online")
expect_eq(pinned:deflate(64), 64)
expect_ok(m2:offline(id), "deflated, the block goes")
