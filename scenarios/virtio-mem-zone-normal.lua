-- Memory onlined to ZONE_NORMAL and used by the kernel cannot be unplugged:
-- the virtio-mem driver keeps trying, backing off from 50 s to 300 s.
--
-- The guest onlined the hot-plugged memory to ZONE_NORMAL (here through
-- auto_online_blocks = online_kernel; a udev rule writing "online" does the
-- same under the contig-zones policy). The kernel then allocates there:
-- GFP_KERNEL takes the highest zone it may use, and a 2 GiB q35 guest has
-- all its boot RAM below 4 GiB, in DMA32. To unplug, the driver must take
-- each 2 MiB sub-block with alloc_contig_range(), which cannot move a kernel
-- page. So it unplugs what is free, stops with -EBUSY and arms its retry
-- timer: 50 s, doubling up to 300 s, for as long as the kernel pages stay.
-- ZONE_NORMAL is a one-way door; ZONE_MOVABLE is what makes unplug work.
--
--   memhp run scenarios/virtio-mem-zone-normal.lua

local m = memhp.machine{ram = "2G", phys_size = "16G", auto_online_blocks = "online_kernel"}
local dev = m:virtio_mem{addr = "4G", size = "2G"}
local drv = dev:probe()
local first = m:block_id("4G")

expect_ok(dev:set_requested_size("512M"))
for id = first, first + 3 do
	expect_eq(m:block(id).zone, "Normal", "memory" .. id .. " is in ZONE_NORMAL")
	expect_eq(drv:block_state(id), "KERNEL", "and the driver knows it")
end

-- Kernel allocations: ZONE_NORMAL first, that is the device's memory.
local k = m:kalloc()
expect_eq(k:alloc("256M"), 65536)
expect_eq(m:zone("Normal").managed_pages - m:zone("Normal").nr_free_pages >= 65536, true,
	"the kernel pages are in ZONE_NORMAL")

-- The host wants all of it back.
expect_ok(dev:set_requested_size(0))
local stuck = drv:info()
expect_errno(stuck.last_rc, "EBUSY", "nothing more could be unplugged")
expect(stuck.plugged_size > 0, "plugged stays above the requested 0")
expect(stuck.plugged_size < memhp.size("512M"), "what was free went")
expect(stuck.timer_armed, "the driver will try again")

-- The back-off, on the driver's clock: 50 s, 100 s, 200 s, then 300 s.
for _, period in ipairs{50000, 100000, 200000, 300000, 300000} do
	local info = drv:info()
	expect_eq(info.timer_due_ms - info.now_ms, period, "the next retry in " .. period // 1000 .. " s")
	expect_eq(drv:advance(period - 1), 0, "not a millisecond early")
	expect_eq(drv:advance(1), 1, "then the work runs once")
	expect_eq(drv:info().plugged_size, stuck.plugged_size, "and gets nowhere")
end

-- Only when the kernel lets go of its pages does the unplug finish.
k:free(k:nr_pages())
local info = drv:info()
drv:advance(info.timer_due_ms - info.now_ms)
expect_eq(drv:info().plugged_size, 0, "all unplugged at last")
expect_eq(drv:info().retry_timer_ms, 50000, "success resets the back-off")
expect_eq(dev:config().plugged_size, 0, "the device agrees")
expect_eq(m:block(first), nil, "and the blocks are gone")
