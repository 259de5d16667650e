-- m:destroy(): the machine goes at once, with its devices, workloads and
-- balloons; from then on m and every object of it raise "machine
-- destroyed" at the line that uses it, and nothing reads what was freed
-- (tests/lua-robust.sh runs this under the build it tests, ASan's too).
local m = memhp.machine{ram = "1G", phys_size = "64G"}
expect_ok(m:add_memory("4G", "128M"))
expect_ok(m:online(32, "online_movable"))
local page = m:pfn_to_page(m:block_pfn(32) + 7)
local data, kalloc = m:data(), m:kalloc()
expect_eq(data:alloc(64), 64, "data before")
expect_eq(kalloc:alloc(8), 8, "kalloc before")
local walkers = m:walkers{threads = 1}
local dev = m:virtio_mem{addr = "8G", size = "1G"}
local old_drv = dev:probe()
old_drv:remove()
local drv = dev:probe()
-- The driver removed before is still an object of its own (not freed
-- memory that the new one's probe reused).
expect(not pcall(function() return old_drv:process() end), "a removed driver is refused")
expect_ok(dev:set_requested_size("256M"), "plugged before")
local balloon = m:balloon("virtio")
local guest = m:guest{quiet = true}
local file = m:hugetlbfs()

m:destroy()
m:destroy() -- again: nothing happens

-- Each use fails at its own line, naming the call and the destroy.
local function refused(what, f)
	local ok, err = pcall(f)
	expect(not ok and err:find("destroy.lua:%d+: [%w_]+: machine destroyed %(machine 1, by " ..
		"m:destroy%(%) at [^)]*destroy.lua:25%)"), what .. " is refused: " .. tostring(err))
end
refused("m:state", function() return m:state(32) end)
refused("m:data", function() return m:data() end)
refused("page:count", function() return page:count() end)
refused("page:put", function() return page:put() end)
refused("page:pfn", function() return page:pfn() end)
refused("memhp.free_pages", function() return memhp.free_pages(page, 0) end)
refused("data:alloc", function() return data:alloc(1) end)
refused("data:verify", function() return data:verify() end)
refused("kalloc:free", function() return kalloc:free(1) end)
refused("walkers:stop", function() return walkers:stop() end)
refused("dev:set_requested_size", function() return dev:set_requested_size(0) end)
refused("dev:probe", function() return dev:probe() end)
refused("drv:process", function() return drv:process() end)
refused("a removed driver", function() return old_drv:process() end)
refused("balloon:inflate", function() return balloon:inflate(1) end)
refused("guest:advance", function() return guest:advance(1) end)
refused("hugetlbfs:fallocate", function() return file:fallocate(1) end)

-- Objects of a destroyed machine are garbage like any other.
page, data, kalloc, walkers, dev, drv, old_drv, balloon, guest, file = nil
collectgarbage()

-- The run goes on with other machines; math.random draws from theirs.
local m2 = memhp.machine{ram = "1G", phys_size = "64G"}
expect_ok(m2:add_memory("4G", "128M"))
expect(math.random(10) >= 1, "math.random after machine 1 went")
expect_eq(tostring(m2:state(32)), "offline", "machine 2 works")
