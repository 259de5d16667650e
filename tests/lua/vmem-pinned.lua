-- A reference on a fake-offline page: the driver check at the end of the run
-- must see it and fail the run.
local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
local drv = dev:probe()
expect_ok(dev:set_requested_size("64M"))
local p = m:pfn_to_online_page(m:block_pfn(32) + 40 * 512)
expect(p:PageOffline(), "the unplugged half is fake-offline")
p:get()
