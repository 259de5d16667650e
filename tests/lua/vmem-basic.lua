-- The virtio-mem bindings against what the C API says: plug, unplug, state,
-- the device's view, the driver's check, faults armed before the device.
local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
m:fault("virtio-mem-nack", 1)		-- before the device: it applies all the same
local dev = m:virtio_mem{addr = "4G", size = "1G", block_size = "2M"}
expect_eq(dev:nr_blocks(), 512)
local c = dev:config()
expect_eq(c.id, "vm0")
expect_eq(c.flavor, "qemu")
expect_eq(c.addr, memhp.size("4G"))
expect_eq(c.region_size, memhp.size("1G"))
expect_eq(c.block_size, memhp.size("2M"))

-- The driver's work runs on this thread: a Lua notifier sees its onlining.
local seen = 0
m:register_memory_notifier(function(event)
	if event == "MEM_GOING_ONLINE" then seen = seen + 1 end
end)
local drv = dev:probe()
expect(drv:info().sbm, "2 MiB blocks: Sub-Block Mode")
expect_eq(drv:info().sb_size, memhp.size("2M"))
expect(drv:info().sync)

expect_ok(dev:set_requested_size("320M"))
expect_eq(seen, 3, "three blocks onlined, on the scenario's thread")
expect_eq(m:fault_hits("virtio-mem-nack"), 1, "the NACK struck, the driver went on")
local info = drv:info()
expect_eq(info.plugged_size, memhp.size("320M"))
expect_eq(info.count.MOVABLE, 2)
expect_eq(info.count.MOVABLE_PARTIAL, 1)
expect_eq(drv:block_state(32), "MOVABLE")
expect_eq(drv:block_state(34), "MOVABLE_PARTIAL")
expect_eq(drv:block_state(40), nil, "beyond what the driver ever used")
expect(dev:block_plugged(159), "sub-block 159: the last of 320 MiB")
expect(not dev:block_plugged(160))
expect_eq(dev:config().plugged_size, memhp.size("320M"))
local st = dev:stats()
expect_eq(st.responses.nack, 1)
expect_eq(st.injected.nack, 1)
expect_eq(st.requests.plug, 4, "three blocks, one of them asked twice")
-- The unplugged half of memory34 is fake-offline: PageOffline, refcount 1.
local p = m:pfn_to_online_page(m:block_pfn(34) + 32 * 512)
expect(p:PageOffline() and p:count() == 1)
expect_eq(drv:check(), 0)

expect_ok(dev:set_requested_size("128M"))
expect_eq(drv:info().plugged_size, memhp.size("128M"))
expect_eq(m:block(33), nil, "whole blocks went away")
expect_errno(dev:set_requested_size("3M"), "EINVAL", "not a multiple of the block size")
expect(not dev:broken())

-- Two devices may not overlap.
local other, err = m:virtio_mem{id = "vm1", addr = "4608M", size = "1G"}
expect_eq(other, nil)
expect_errno(err, "EBUSY")
