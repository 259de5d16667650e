-- Print every function of the scenario API, one per line, as docs name it:
-- memhp.x, m:x, page:x, data:x, kalloc:x, walkers:x, dev:x, drv:x,
-- balloon:x, guest:x, and the globals.
local function methods(obj)
	local _, t = debug.getupvalue(getmetatable(obj).__index, 1)
	local names = {}
	for k in pairs(t) do names[#names + 1] = k end
	table.sort(names)
	return names
end
local out = {}
for k, v in pairs(memhp) do
	if type(v) == "function" then out[#out + 1] = "memhp." .. k end
end
for _, g in ipairs{"expect", "expect_eq", "expect_errno", "expect_ok"} do out[#out + 1] = g end
local m = memhp.machine{ram = "512M", phys_size = "16G", check_after_ops = false}
for _, n in ipairs(methods(m)) do out[#out + 1] = "m:" .. n end
for _, n in ipairs(methods(m:pfn_to_page(0x1000))) do out[#out + 1] = "page:" .. n end
local d, k, w = m:data(), m:kalloc(), m:walkers{threads = 1}
for _, n in ipairs(methods(d)) do out[#out + 1] = "data:" .. n end
for _, n in ipairs(methods(k)) do out[#out + 1] = "kalloc:" .. n end
for _, n in ipairs(methods(w)) do out[#out + 1] = "walkers:" .. n end
w:stop()
local dev = m:virtio_mem{addr = "4G", size = "1G"}
local drv = dev:probe()
for _, n in ipairs(methods(dev)) do out[#out + 1] = "dev:" .. n end
for _, n in ipairs(methods(drv)) do out[#out + 1] = "drv:" .. n end
local b = m:balloon("virtio")
for _, n in ipairs(methods(b)) do out[#out + 1] = "balloon:" .. n end
local g = m:guest{quiet = true}
for _, n in ipairs(methods(g)) do out[#out + 1] = "guest:" .. n end
table.sort(out)
for _, n in ipairs(out) do io.write(n, "\n") end
