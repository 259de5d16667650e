-- SPDX-License-Identifier: MIT
-- tests/fuzz/lua_api_driver.lua - the scenario fuzz_lua_api runs: arg[1] is
-- the fuzzer's input in hex, read as a tape of calls. Each call picks an
-- object the tape has made so far (the memhp table, machines, pages, data,
-- allocators, walkers, devices, drivers, balloons, guests), one of its
-- functions and up to four arguments from values at the edges (integers,
-- sizes, names, booleans, nil, small option tables), and makes it in
-- pcall: whatever the arguments, memhp must answer with a value or an
-- error, never a crash, a hang or a sanitizer report. What a call returns
-- that is an object of the API joins the objects the tape may pick.
-- The lists are tests/lua/api-names.lua's output; a name missing here is
-- only not fuzzed.
local tape = arg[1] or ""
local pos = 0
local function byte()
	pos = pos + 1
	local h = tape:sub(2 * pos - 1, 2 * pos)
	if #h < 2 then return nil end
	return tonumber(h, 16)
end
local function pick(list)
	return list[(byte() or 0) % #list + 1]
end

local ints = {0, 1, -1, 2, 3, 7, 8, 9, 10, 11, 12, 16, 31, 32, 33, 34, 40, 63, 64, 100, 255, 256,
	511, 512, 4095, 4096, 0x3ffff, 0x40000, 0x7fffffff, 0x80000000, 0xffffffff,
	math.maxinteger, math.mininteger, -4096, 0.5, 1e300, 0 / 0}
local sizes = {"0", "1", "4K", "4096", "2M", "3M", "128M", "129M", "256M", "512M", "1G", "4G",
	"5G", "6G", "8G", "1T", "16T", "17T", "-1", "1Q", "", "0x1000", "1.5G", "2G"}
local words = {"online", "offline", "online_kernel", "online_movable", "DMA", "DMA32", "Normal",
	"Movable", "6.1", "2025", "virtio", "virtio-no-compaction", "xen", "hyperv", "migration",
	"alloc", "virtio-mem-nack", "virtio-mem-busy", "virtio-mem-error", "virtio-mem-stall",
	"MEM_GOING_OFFLINE", "MEM_GOING_ONLINE", "qemu", "cloud-hypervisor", "firecracker", "x"}
local keys = {"ram", "phys_size", "addr", "size", "block_size", "requested_size", "threads",
	"sync", "seed", "protocol", "flavor", "zone", "order", "count", "pinned", "quiet",
	"auto_online_blocks", "check_after_ops", "unplug_online", "force_bbm", "node_id", "id"}

local value
local function option_table()
	local t = {}
	for _ = 1, (byte() or 0) % 4 do
		t[pick(keys)] = value(true)
	end
	return t
end
function value(flat)
	local b = byte() or 0
	local k = b % 10
	if k < 3 then return pick(ints) end
	if k < 6 then return pick(sizes) end
	if k < 7 then return pick(words) end
	if k < 8 then return b & 16 ~= 0 end
	if k < 9 and not flat then return option_table() end
	return nil
end

local methods = {
	["memhp.balloon"] = {"deflate", "destroy", "host_grant", "host_has", "host_pfns", "host_refuse", "hot_add", "inflate", "kind", "stats"},
	["memhp.data"] = {"alloc", "destroy", "free", "nr_migrated", "nr_pages", "nr_slots", "pfn", "refuse_migration", "verify"},
	["memhp.vmem_dev"] = {"block_plugged", "broken", "config", "destroy", "flush", "nr_blocks", "probe", "release_stall", "reset", "set_requested_size", "stats", "system_reset", "wait_stalled"},
	["memhp.vmem_drv"] = {"advance", "block_state", "check", "info", "process", "remove", "wait_idle"},
	["memhp.guest"] = {"advance", "destroy", "exit", "files", "fork", "stats"},
	["memhp.kalloc"] = {"alloc", "destroy", "free", "nr_pages"},
	["memhp.machine"] = {"add_memory", "add_memory_driver_managed", "alloc_pages", "allow", "balloon", "block", "block_id", "block_pfn", "blocks", "check", "config", "data", "destroy", "fault", "fault_hits", "guest", "inject_notifier_error", "kalloc", "meminfo", "memory_failure", "migratetype", "offline", "offline_and_remove_memory", "online", "page_offline_begin", "page_offline_end", "pfn_to_online_page", "pfn_to_page", "pfn_valid", "protocol", "random", "read", "register_memory_notifier", "remove_memory", "report", "restore_online_page_callback", "set_online_page_callback", "soft_offline_page", "state", "svg", "trace", "trace_instant", "unregister_memory_notifier", "untrace", "valid_zones", "violations", "violations_clear", "virtio_mem", "walkers", "write", "zone", "zones"},
	["memhp.page"] = {"ClearPageOffline", "ClearPageOfflineSkippable", "ClearPageReserved", "PageBuddy", "PageDirty", "PageHWPoison", "PageIsolated", "PageLRU", "PageMovable", "PageOffline", "PageOfflineSkippable", "PageReserved", "SetPageOffline", "SetPageOfflineSkippable", "SetPageReserved", "count", "get", "get_unless_zero", "nid", "pfn", "put", "ref_dec_and_test", "ref_inc", "zone"},
	["memhp.walkers"] = {"stop"},
}
local funcs = {"adjust_managed_page_count", "clear_signal", "errno", "fmt_size", "free_pages", "generic_online_page", "signal", "signal_pending", "size", "strerror"}

-- The first machine is the tape's too: its first byte says how.
local b = byte() or 0
local ok, m = pcall(memhp.machine, {ram = pick(sizes), phys_size = "16G", seed = b,
	protocol = b & 1 == 1 and "2025" or "6.1", check_after_ops = b & 2 == 2,
	auto_online_blocks = pick(words)})
if not ok then m = memhp.machine{ram = "512M", phys_size = "8G", seed = b} end
local objs = {m}
while pos * 2 < #tape do
	local which = byte() % (#objs + 1)
	local args = {}
	local n = (byte() or 0) % 5
	for i = 1, n do args[i] = value(false) end
	if which == 0 then
		local f = pick(funcs)
		if f ~= "machine" or #objs < 8 then
			ok = pcall(memhp[f], table.unpack(args, 1, n))
		end
	else
		local o = objs[which]
		local mt = getmetatable(o)
		local list = mt and methods[mt.__name]
		if list then
			local name = pick(list)
			local r = table.pack(pcall(o[name], o, table.unpack(args, 1, n)))
			for i = 2, r.n do
				local rm = getmetatable(r[i])
				if type(r[i]) == "userdata" and rm and methods[rm.__name] and #objs < 64 then
					objs[#objs + 1] = r[i]
				end
			end
		end
	end
end
