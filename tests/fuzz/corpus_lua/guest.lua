-- A seed for fuzz_lua: the guest kernel at work and two machines.
local a = memhp.machine{ram = "512M", phys_size = "4G", protocol = "2025"}
local b = memhp.machine{ram = "256M", phys_size = "2G"}
local g = a:guest{quiet = true}
pcall(g.fork, g, 1)
pcall(a.meminfo, a)
pcall(b.offline, b, 1)
expect(true)
expect_eq(1, 1)
