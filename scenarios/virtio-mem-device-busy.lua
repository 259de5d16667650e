-- A virtio-mem device that answers BUSY, then ACK: the driver waits and
-- tries again, nothing is lost.
--
-- QEMU answers BUSY when it cannot change the memory right now: while the VM
-- migrates, or when giving unplugged memory back to the host fails
-- (ram_block_discard_range()). The 6.1 driver takes BUSY as -ETXTBSY: it
-- undoes what it prepared, arms its retry timer (50 s) and tries again.
--
--   memhp run scenarios/virtio-mem-device-busy.lua

local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
local drv = dev:probe()

-- ---- Plugging: BUSY, then ACK 50 s later. --------------------------------------------
m:fault("virtio-mem-busy", 1)
expect_ok(dev:set_requested_size("256M"))
local info = drv:info()
expect_errno(info.last_rc, "ETXTBSY", "BUSY is -ETXTBSY to the driver")
expect_eq(info.plugged_size, 0, "nothing plugged yet")
expect_eq(info.timer_due_ms - info.now_ms, 50000, "it tries again in 50 s")
expect_eq(m:fault_hits("virtio-mem-busy"), 1)
expect_eq(drv:advance(50000), 1)
expect_eq(drv:info().plugged_size, memhp.size("256M"), "the retry got an ACK")
expect_eq(dev:stats().responses.busy, 1)
expect(not drv:info().broken, "BUSY is no error")

-- ---- Unplugging: the host cannot discard, QEMU answers BUSY. ----------------------------
local total = m:meminfo().total_pages
m:fault("virtio-mem-discard", 1)
expect_ok(dev:set_requested_size("128M"))
info = drv:info()
expect_errno(info.last_rc, "ETXTBSY")
expect_eq(info.plugged_size, memhp.size("256M"), "still plugged")
expect_eq(m:meminfo().total_pages, total, "the sub-blocks it took came back to the guest")
expect_eq(dev:stats().discard_failures, 1)
drv:advance(info.timer_due_ms - info.now_ms)
expect_eq(drv:info().plugged_size, memhp.size("128M"), "then it went")
expect_eq(dev:config().plugged_size, memhp.size("128M"), "the device agrees")
