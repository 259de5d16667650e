-- A Xen balloon blocks offlining.
--
-- Xen's balloon (drivers/xen/balloon.c) marks the pages it gives to the
-- hypervisor PageOffline, keeps a reference and does nothing for offlining:
-- its pages are not movable and its memory notifier does not let go of them
-- in MEM_GOING_OFFLINE. Since the 2019 change (v5.6), scan_movable_pages()
-- meets such a page and offline_pages() fails at once with -EBUSY
-- ("unmovable page"). Hot-added memory fares worse: Xen's online_page
-- callback puts every page of every onlined range into the balloon, still
-- PG_reserved, and isolation refuses a PG_reserved page before it looks at
-- anything else, even in ZONE_MOVABLE: "failure to isolate range", and no
-- notifier hears of it. Only deflating (the hypervisor populating the
-- frames) makes the memory the guest's, and offlinable.
--
--   memhp run scenarios/balloon-xen.lua

local m = memhp.machine{ram = "1G", phys_size = "8G", protocol = "6.1"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "128M"))
local id = m:block_id(base)
-- Onlined before the balloon exists: ordinary RAM, in ZONE_NORMAL.
expect_ok(m:online(id, "online_kernel"))

local events = {}
m:register_memory_notifier(function(event) events[#events + 1] = event end)
local b = m:balloon("xen")
-- GFP_HIGHUSER: ZONE_NORMAL first, that is memory32.
expect_eq(b:inflate(64), 64)
local p = m:pfn_to_page(b:host_pfns(1)[1])
expect(p:PageOffline() and not p:PageMovable() and p:count() == 1,
	"PageOffline, referenced, not movable")

expect_errno(m:offline(id), "EBUSY", "the first ballooned page ends the offline")
expect_eq(table.concat(events, " "), "MEM_GOING_OFFLINE MEM_CANCEL_OFFLINE",
	"the notifier heard it all and did nothing")
expect_eq(m:state(id), "online")
-- The hypervisor gives the frames back: the pages are the guest's again.
expect_eq(b:deflate(64), 64)
expect_ok(m:offline(id), "deflated, the block goes")

-- ---- Memory hot-added for the balloon ------------------------------------------------------
local hot = memhp.size("5G")
expect_ok(b:hot_add(hot, "128M"), "reserve_additional_memory(): nothing behind it yet")
local hid = m:block_id(hot)
expect_ok(m:online(hid, "online_movable"))
local q = m:pfn_to_page(m:block_pfn(hid) + 100)
expect(q:PageOffline() and q:PageReserved(), "the callback put every page in the balloon")
expect_eq(m:zone("Movable").managed_pages, 0, "none of it is the guest's")
events = {}
expect_errno(m:offline(hid), "EBUSY", "PG_reserved: isolation refuses, even in ZONE_MOVABLE")
expect_eq(#events, 0, "failed at isolation: no notifier event at all")

-- The hypervisor populates the frames: the memory becomes the guest's.
local n = m:config().pages_per_block
expect_eq(b:deflate(n), n)
expect_eq(m:zone("Movable").managed_pages, n)
expect_ok(m:offline(hid), "deflated, the hot-added block goes too")
