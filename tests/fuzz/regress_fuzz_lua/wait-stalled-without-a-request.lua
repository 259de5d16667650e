-- fuzz_lua found it (a mutation of tests/lua/vmem-stall.lua): a stall is
-- armed, but the size asked is refused (257M is not a multiple of the
-- block size), so no request ever comes to stall, and dev:wait_stalled()
-- waited for ever: ^C and --timeout could not end it.
local m = memhp.machine{ram = "1G", phys_size = "8G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
m:fault("virtio-mem-stall", 1)
local drv = dev:probe{sync = false}
dev:set_requested_size("257M")
dev:wait_stalled()
