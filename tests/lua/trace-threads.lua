-- Threads of every kind memhp runs, each leaving events in a trace: the
-- scenario's, an async virtio-mem driver's worker (its operations) and
-- the device's (its answers). PFN walkers run while the driver plugs;
-- they leave events only when a finding happens on their thread, and
-- they are stopped before the unplug, where under 6.1 a page one of them
-- freed under the driver would make offlining retry for ever (the demo
-- interrupts that; this scenario has no reason to meet it).
-- tests/perfetto.sh reads the trace back.
local m = memhp.machine{ram = "1G", phys_size = "16G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
local drv = dev:probe{sync = false}
drv:wait_idle()
local w = m:walkers{threads = 2}
expect_ok(dev:set_requested_size("512M"))
drv:wait_idle()
w:stop()
expect_ok(dev:set_requested_size("256M"))
drv:wait_idle()
expect_eq(drv:info().plugged_size, 256 * 1024 * 1024, "the driver reached the size")
