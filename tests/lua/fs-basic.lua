-- m:read and m:write: the guest's files, bytes and errnos as 6.1 gives them.
local m = memhp.machine{ram = "1G", phys_size = "8G"}
local MEM = "/sys/devices/system/memory"
expect_ok(m:add_memory("4G", "256M"))
expect_eq(m:read(MEM .. "/memory32/state"), "offline\n", "a new block reads offline")
expect_eq(m:read(MEM .. "/block_size_bytes"), "8000000\n")
local free = tonumber(m:read("/proc/meminfo"):match("MemFree:%s+(%d+) kB"))
expect_ok(m:write(MEM .. "/memory32/state", "online_movable"))
expect_eq(m:state(32), "online", "the write onlined the block")
expect_eq(m:read(MEM .. "/memory32/valid_zones"), "Movable\n")
expect_eq(tonumber(m:read("/proc/meminfo"):match("MemFree:%s+(%d+) kB")), free + 128 * 1024,
	  "MemFree grew by the block")
expect_ok(m:write(MEM .. "/memory32/online", "0"), "kstrtobool: 0 offlines")
expect_eq(m:state(32), "offline")
expect_errno(m:write(MEM .. "/memory0/online", "0"), "EINVAL", "memory0 has holes")
-- A kernel page pins the block it is in: offlining it is -EBUSY.
expect_ok(m:write(MEM .. "/memory32/state", "online_kernel"))
local p = m:alloc_pages("GFP_KERNEL", 0)
expect(p and m:block_id(p:pfn() * memhp.PAGE_SIZE) == 32, "the kernel page went to the only Normal block")
expect_errno(m:write(MEM .. "/memory32/state", "offline"), "EBUSY")
memhp.free_pages(p, 0)
expect_errno(m:write(MEM .. "/memory33/state", "bogus"), "EINVAL")
expect_errno(m:write(MEM .. "/block_size_bytes", "1"), "EACCES")
local s, err = m:read(MEM .. "/memory99/state")
expect(s == nil, "no such block")
expect_errno(err, "ENOENT")
-- An injected notifier error fails the online with it, as the module does.
expect_ok(m:write("/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error",
		  "-12"))
expect_errno(m:write(MEM .. "/memory33/state", "online"), "ENOMEM")
expect_eq(m:state(33), "offline")
