-- A virtio-mem device that answers ERROR: the 6.1 driver gives up for good.
--
-- ERROR means the request was wrong (a bad range, a state that does not
-- match). Cloud Hypervisor also answers it when the host cannot discard.
-- The driver cannot know which: "virtio_mem virtioN: unknown error, marking
-- device broken: -22" (seen with Cloud Hypervisor in microvm.nix #191), and
-- it never talks to the device again. Only a new driver (unbind and bind,
-- or a reboot) brings it back.
--
--   memhp run scenarios/virtio-mem-device-error.lua

local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
local drv = dev:probe()
m:allow("virtio-mem-broken")		-- the driver's message, expected here

m:fault("virtio-mem-error", 1)
expect_ok(dev:set_requested_size("256M"))
local info = drv:info()
expect(info.broken, "the driver marked the device broken")
expect_errno(info.last_rc, "EINVAL", "ERROR is -EINVAL to the driver")
expect_eq(info.plugged_size, 0)
expect_eq(#m:violations("virtio-mem-broken"), 1, "and said so once")

-- Whatever the host asks now, the driver does nothing.
local runs = info.runs
expect_ok(dev:set_requested_size("512M"))
expect_eq(drv:info().runs, runs, "no more work runs")
expect_eq(dev:stats().requests.plug, 1, "only the request that failed was sent")
expect_eq(drv:advance(300000), 0, "no timer either")
expect_eq(dev:config().plugged_size, 0)

-- A new driver starts over.
drv:remove()
local again = dev:probe()
expect_eq(again:info().plugged_size, memhp.size("512M"), "the new driver plugs what is asked")
expect(not again:info().broken)
