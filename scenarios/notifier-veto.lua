-- A memory notifier refuses MEM_GOING_OFFLINE.
--
-- offline_pages() isolates the range, then asks the notifier chain. A
-- notifier that answers with an error stops the chain there: the errno comes
-- back from the offline, every notifier (also those after the one that
-- refused, which never saw MEM_GOING_OFFLINE) hears MEM_CANCEL_OFFLINE, the
-- isolation is undone and the block stays online with nothing moved.
--
--   memhp run scenarios/notifier-veto.lua

local m = memhp.machine{ram = "1G", phys_size = "64G"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "128M"))
local id = m:block_id(base)
expect_ok(m:online(id, "online_movable"))

-- Three notifiers, by priority: one before the veto, the veto, one after.
local heard = {}
local function recorder(name)
	return function(event)
		heard[#heard + 1] = name .. ":" .. event
		return "ok"
	end
end
m:register_memory_notifier(recorder("high"), 10)
local veto = m:register_memory_notifier(function(event)
	if event == "MEM_GOING_OFFLINE" then
		return "ENOMEM"	-- notifier_from_errno(-ENOMEM)
	end
end, 0)
m:register_memory_notifier(recorder("low"), -10)

local before = m:meminfo()
expect_errno(m:offline(id), "ENOMEM", "the veto's errno comes back from offline")
expect_eq(m:state(id), "online", "the block keeps its state")
expect_eq(table.concat(heard, " "),
	  "high:MEM_GOING_OFFLINE high:MEM_CANCEL_OFFLINE low:MEM_CANCEL_OFFLINE",
	  "CANCEL reaches every notifier, also the one that never saw GOING_OFFLINE")
local after = m:meminfo()
expect_eq(after.total_pages, before.total_pages, "MemTotal unchanged")
expect_eq(after.free_pages, before.free_pages, "MemFree unchanged")
expect_eq(m:zone("Movable").nr_isolate_pageblock, 0, "isolation undone")
expect_eq(m:migratetype(m:block_pfn(id)), "Movable", "pageblocks are Movable again")

-- NOTIFY_BAD carries no errno: the caller sees -EPERM.
m:unregister_memory_notifier(veto)
m:register_memory_notifier(function(event)
	if event == "MEM_GOING_OFFLINE" then
		return "bad"
	end
end)
expect_errno(m:offline(id), "EPERM", "NOTIFY_BAD means -EPERM")
expect_eq(m:state(id), "online")

-- The same with notifier-error-inject's memory module, and onlining.
expect_ok(m:add_memory(base + memhp.size("128M"), "128M"))
m:inject_notifier_error("MEM_GOING_ONLINE", "ENOSPC")
expect_errno(m:online(id + 1, "online_movable"), "ENOSPC", "a refused online")
expect_eq(m:state(id + 1), "offline", "and the block stays offline")
m:inject_notifier_error("MEM_GOING_ONLINE", nil)
expect_ok(m:online(id + 1, "online_movable"), "online once the injection is off")
