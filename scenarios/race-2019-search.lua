-- The 2019 race, found by searching seeds rather than staged by hand.
--
-- scenarios/race-2019.lua orders the walker's get and put around the
-- driver's by hand. Here the same driver (its online_page callback keeps
-- pages PageOffline; under 6.1 its notifier drops their references in
-- MEM_GOING_OFFLINE) meets real speculative PFN walkers while its block
-- goes offline and online, and the threads' schedule decides whether a
-- walker's put_page() comes after the driver's drop. Under the
-- deterministic scheduler the seed fixes that schedule, so a search over
-- seeds finds the race and the seed replays it, byte for byte:
--
--   for s in $(seq 1 50); do
--     memhp run scenarios/race-2019-search.lua --deterministic --protocol 6.1 \
--       --seed $s -q >/dev/null || { echo "seed $s"; break; }
--   done
--   memhp run scenarios/race-2019-search.lua --deterministic --protocol 6.1 --seed S
--
-- Under 2025 the pages keep their reference and the driver drops none, so
-- that race cannot happen. Another can, and the search finds it too (seeds
-- 4, 8 and 12 among the first 12): a walker's reference that outlives the
-- offline, taken before the offline looked at the page (which then WARNs:
-- refcount 2, not 1) or after (the walker looked the page up while it was
-- online). The offline completes either way; when the block comes back,
-- memmap_init_range() sets the refcount to 1 again, and the walker's
-- put_page() frees the driver's page: Bad page state, as Linux with the
-- proposal would have it. Upstream says frozen pages, which have no
-- refcount to take, will close it. Under 2025 the scenario reports that
-- and passes; tests/deterministic.sh finds and replays it.

local m = memhp.machine{ram = "256M", phys_size = "64G"}
local v61 = m:protocol() == "6.1"
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "128M"))
local id = m:block_id(base)

local KEEP = 8192			-- pages kept back: a quarter of the block
local first = m:block_pfn(id)
local active = false

m:set_online_page_callback(function(page, order)
	local pfn = page:pfn()
	if pfn < first or pfn >= first + KEEP then
		memhp.generic_online_page(page, order)
		return
	end
	m:page_offline_begin()
	for p = pfn, pfn + (1 << order) - 1 do
		local pg = m:pfn_to_page(p)
		pg:SetPageOffline()
		pg:ClearPageReserved()
		if not v61 then
			pg:SetPageOfflineSkippable()
		end
	end
	m:page_offline_end()
end)

m:register_memory_notifier(function(event, arg)
	if not v61 or arg.start_pfn > first or first + KEEP > arg.start_pfn + arg.nr_pages then
		return
	end
	if event == "MEM_GOING_OFFLINE" then
		active = true
		memhp.adjust_managed_page_count(m:pfn_to_page(first), KEEP)
		for p = first, first + KEEP - 1 do
			if not m:pfn_to_page(p):ref_dec_and_test() then
				m:report(p, "fake-offline-referenced", "fake-offline page referenced")
			end
		end
	elseif event == "MEM_CANCEL_OFFLINE" and active then
		memhp.adjust_managed_page_count(m:pfn_to_page(first), -KEEP)
		for p = first, first + KEEP - 1 do
			m:pfn_to_page(p):ref_inc()
		end
		active = false
	elseif event == "MEM_OFFLINE" then
		active = false
	end
	return "ok"
end)

-- A walker's reference held through the offline is 6.1's WARN and an
-- -EBUSY (the driver takes its references back): allowed, and the next
-- round tries again. A put after the driver's is the race: the page is
-- freed under the driver and offlining would retry for ever, so that
-- finding interrupts it, as the user's ^C would.
m:allow("fake-offline-referenced", "offline-isolated-pages")
m:interrupt_on("bad-page")
local ROUNDS = 20
local w = m:walkers{threads = 2, hold_spins = 100}
for round = 1, ROUNDS do
	if m:state(id) ~= "online" then
		expect_ok(m:online(id, "online_movable"))
	end
	local rc = m:offline(id)
	if rc == -memhp.errno("EINTR") or #m:violations("bad-page") > 0 then
		memhp.clear_signal()
		break
	end
end
w:stop()
if #m:violations("bad-page") > 0 then
	-- The machine is broken on purpose from here: that is the bug.
	m:allow("bad-page", "page-class", "managed-pages", "pageoffline-refcount")
end
local bad = m:violations("bad-page")
if v61 then
	expect_eq(#bad, 0,
		"no walker's put_page() freed a PageOffline page the driver had let go of")
elseif #bad > 0 then
	print(string.format("2025: a walker's reference outlived the offline and freed pfn %#x " ..
		"once the block came back (its memmap initialised again)", bad[1].pfn))
end
