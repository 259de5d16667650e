-- A stalled request, with the driver on its own thread (sync = false): the
-- script waits for the stall, sees nothing plugged yet, releases it.
local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
m:fault("virtio-mem-stall", 1)
local drv = dev:probe{sync = false}
expect(not drv:info().sync)
expect_ok(dev:set_requested_size("256M"))
expect_ok(dev:wait_stalled())
expect_eq(drv:info().plugged_size, 0, "the request is held")
expect_eq(dev:stats().requests.plug, 1)
expect_eq(dev:stats().responses.ack, 0)
dev:release_stall()
drv:wait_idle()
expect_eq(drv:info().plugged_size, memhp.size("256M"), "answered once released")
expect_eq(m:fault_hits("virtio-mem-stall"), 1)
