-- cloud-hypervisor #1884: "requested_size 0, but plugged_size stays > 0".
--
-- A Cloud Hypervisor user asked the guest to give back all its virtio-mem
-- memory, and the device kept reporting memory plugged. David Hildenbrand's
-- answer: expected. The device cannot take memory back; the driver gives
-- what the guest can free. Without ZONE_MOVABLE (like DIMMs), kernel
-- allocations land in the plugged memory and pin it; and even with
-- ZONE_MOVABLE, what lives there needs room elsewhere. requested_size is a
-- request: plugged_size is what the guest managed.
--
--   memhp run scenarios/virtio-mem-ch1884.lua

-- ---- 1. The report: memory onlined with "online", as memhp_default_state=online
-- does, lands in ZONE_NORMAL under the contig-zones policy. ---------------------------
local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online"}
local dev = m:virtio_mem{addr = "4G", size = "1G", flavor = "cloud-hypervisor"}
local drv = dev:probe()
expect_eq(dev:config().usable_region_size, memhp.size("1G"), "Cloud Hypervisor: all usable")

expect_ok(dev:set_requested_size("512M"))
expect_eq(m:block(m:block_id("4G")).zone, "Normal", "'online' picked the kernel zone")
local k = m:kalloc()
expect_eq(k:alloc("64M"), 16384, "the kernel allocates there first")

expect_ok(dev:set_requested_size(0))
expect_eq(dev:config().requested_size, 0)
expect(dev:config().plugged_size > 0, "plugged_size stays > 0, as in the report")
expect_errno(drv:info().last_rc, "EBUSY", "the driver unplugged what it could")
expect(dev:config().plugged_size <= memhp.size("128M"),
	"the kernel pages sit in one block: the rest went")

-- ---- 2. ZONE_MOVABLE, but no room: the guest's own memory is full. ------------------
local m2 = memhp.machine{ram = "512M", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev2 = m2:virtio_mem{addr = "4G", size = "512M", flavor = "cloud-hypervisor"}
local drv2 = dev2:probe()
expect_ok(dev2:set_requested_size("256M"))
-- The kernel has taken nearly all of the boot memory: 64 MiB stay free.
local k2 = m2:kalloc()
k2:alloc(m2:zone("DMA32").nr_free_pages - 16384)
-- Anonymous memory: ZONE_MOVABLE first, the device's memory.
local d = m2:data()
expect_eq(d:alloc("200M"), 51200)

expect_ok(dev2:set_requested_size(0))
local info = drv2:info()
expect(info.plugged_size > 0, "movable, but nowhere to move it: plugged stays > 0")
expect(info.timer_armed, "the driver retries later")
expect(d:nr_migrated() > 0, "it moved what fitted")

-- The kernel drops its caches; the next retry finishes the job.
k2:free(k2:nr_pages())
drv2:advance(info.timer_due_ms - info.now_ms)
expect_eq(drv2:info().plugged_size, 0, "with room, everything goes")
local bad, verified = d:verify()
expect_eq(bad, 0, "and no data was lost on the way")
expect_eq(verified, 51200)
