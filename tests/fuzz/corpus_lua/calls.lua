-- A seed for fuzz_lua: one machine and most of the API, every call in
-- pcall so that a mutation which breaks one call still reaches the rest.
local m = memhp.machine{ram = "512M", phys_size = "8G", auto_online_blocks = "offline", seed = 3}
pcall(m.add_memory, m, "4G", "256M")
pcall(m.online, m, 32, "online_movable")
pcall(m.online, m, 33, "online_kernel")
pcall(m.offline, m, 32)
pcall(m.remove_memory, m, "4G", "128M")
local d = m:data()
pcall(d.alloc, d, 64)
pcall(d.verify, d)
local k = m:kalloc()
pcall(k.alloc, k, 16, 2)
local p = m:pfn_to_page(0x1000)
pcall(p.count, p)
pcall(m.check, m)
pcall(m.meminfo, m)
pcall(m.fault, m, "migration", 1)
local w = m:walkers{threads = 1}
w:stop()
local ok, b = pcall(m.balloon, m, "virtio")
if ok then pcall(b.inflate, b, "1M"); pcall(b.deflate, b, 10) end
local dev = m:virtio_mem{addr = "5G", size = "1G", block_size = "2M"}
local drv = dev:probe()
pcall(dev.set_requested_size, dev, "64M")
pcall(drv.info, drv)
pcall(dev.set_requested_size, dev, 0)
