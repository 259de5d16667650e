-- Where memory is, as a scenario places a device and checks what the host
-- gave: memhp.boot_ranges, m:host_resident, data:nr_pages_in.
local G = memhp.size("1G")
local ranges = memhp.boot_ranges("4G")
local total, last = 0, ranges[#ranges]
for _, r in ipairs(ranges) do total = total + r.size end
expect(total <= 4 * G, "boot RAM is at most what was asked for (holes are firmware's)")
expect_eq(last.start, 4 * G, "4 GiB of RAM does not fit below the PCI hole: the rest is above 4G")
expect_eq(#memhp.boot_ranges("1G"), #ranges - 1, "1 GiB fits below it")

local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
expect_eq(m:host_resident("4G", "128M"), 0, "nothing added there yet")
expect_ok(m:add_memory("4G", "128M"))
local d = m:data()
expect_eq(d:alloc("16M"), 4096)
expect_eq(d:nr_pages_in(0, "8G"), d:nr_pages(), "every page is somewhere")
local there = d:nr_pages_in("4G", "128M")
expect(there > 0, "movable data lands in the hot-added ZONE_MOVABLE block")
expect(m:host_resident("4G", "128M") >= there, "the host backs each of those pages")
expect_ok(m:offline_and_remove_memory("4G", "128M"))
expect_eq(d:nr_pages_in("4G", "128M"), 0, "migrated away before the removal")
expect_eq(m:host_resident("4G", "128M"), 0, "and the host has that memory back")
