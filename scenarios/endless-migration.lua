-- An offline whose migration never succeeds ends only with a signal.
--
-- offline_pages() has no timeout in 6.1: it migrates and retries until the
-- range is free, a page is definitely unmovable, or the task has a signal
-- pending. Here every migration fails, so the loop would spin forever; a
-- trace hook plays the user pressing ^C after a few rounds. The offline
-- returns -EINTR with everything restored: MEM_CANCEL_OFFLINE, no isolated
-- pageblock left, the data where it was and intact.
--
--   memhp run scenarios/endless-migration.lua
--   (press ^C yourself with: memhp run scenarios/endless-migration.lua -- forever)

local forever = arg[1] == "forever"
local m = memhp.machine{ram = "1G", phys_size = "64G"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "256M"))
local id = m:block_id(base)
expect_ok(m:online(id, "online_movable"))
expect_ok(m:online(id + 1, "online_movable"))

local d = m:data()
local pages = m:config().pages_per_block + 100	-- spills into the second block
expect_eq(d:alloc(pages), pages)

local events = {}
m:register_memory_notifier(function(event)
	events[#events + 1] = event
end)

m:fault("migration", -1)	-- every migration fails with -EAGAIN
local rounds = 0
if not forever then
	m:trace(function(ev)
		if ev.kind == "migrate_round" then
			rounds = rounds + 1
			if rounds == 5 then
				memhp.signal()	-- what ^C does to the task in offline_pages()
			end
		end
	end)
end

local before = m:meminfo()
expect_errno(m:offline(id), "EINTR", "a signal ends the endless offline")
memhp.clear_signal()

expect_eq(rounds, 5, "it ran exactly until the signal")
expect_eq(table.concat(events, " "), "MEM_GOING_OFFLINE MEM_CANCEL_OFFLINE")
expect_eq(m:state(id), "online", "the block stays online")
expect_eq(m:zone("Movable").nr_isolate_pageblock, 0, "isolation undone")
expect_eq(m:migratetype(m:block_pfn(id)), "Movable")
local after = m:meminfo()
-- Offlining drained the per-cpu lists into MemFree: count them with it.
expect_eq(after.free_pages + after.pcp_pages, before.free_pages + before.pcp_pages,
	"every free page still free")
expect_eq(after.total_pages, before.total_pages, "MemTotal unchanged")
local bad, verified = d:verify()
expect_eq(bad, 0, "no page lost or corrupted")
expect_eq(verified, pages)

-- Once migration works again the same offline goes through.
m:fault("migration", 0)
expect_ok(m:offline(id))
bad, verified = d:verify()
expect_eq(bad, 0, "every page survived its migration")
expect(d:nr_migrated() > 0, "pages were moved")
