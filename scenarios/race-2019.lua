-- The 2019 race: a speculative reference on a fake-offline page.
--
-- A driver in the style of virtio-mem keeps part of a block back when it is
-- onlined: its online_page callback marks those pages PageOffline (refcount
-- 1, not PG_reserved, not managed) instead of handing them to the buddy.
-- A PFN walker (compaction, page_idle, ...) may still take a reference on
-- such a page with get_page_unless_zero(), because the refcount is not 0.
--
-- Under the 6.1 protocol the driver drops its references in
-- MEM_GOING_OFFLINE, so that the pages count as free:
--   A. a walker holding a reference through the offline makes the driver's
--      put miss zero: the driver reports it, offline fails with -EBUSY;
--   B. a walker whose put comes after the driver's frees the page under
--      the driver: "Bad page state", and the offline can never finish.
-- Under the 2025 protocol (PG_offline_skippable) the pages keep refcount 1
-- and are skipped: the stray reference costs only a WARN in A, nothing in B.
--
--   memhp run scenarios/race-2019.lua --protocol 6.1
--   memhp run scenarios/race-2019.lua --protocol 2025

local m = memhp.machine{ram = "1G", phys_size = "64G"}
local v61 = m:protocol() == "6.1"
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "128M"))
local id = m:block_id(base)

-- ---- The driver -----------------------------------------------------------
local KEEP = 2048			-- pages kept back: two max-order chunks
local first = m:block_pfn(id)		-- it keeps [first, first + KEEP)
local active = false			-- between GOING_OFFLINE and OFFLINE/CANCEL

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

local function ours(arg)
	return arg.start_pfn <= first and first + KEEP <= arg.start_pfn + arg.nr_pages
end

m:register_memory_notifier(function(event, arg)
	if not v61 or not ours(arg) then
		return			-- the 2025 protocol needs no notifier work
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

expect_ok(m:online(id, "online_movable"))
local kept = m:pfn_to_online_page(first + 5)
expect(kept:PageOffline() and not kept:PageReserved(), "the driver kept its pages back")
expect_eq(kept:count(), 1)

-- ---- A: a walker holds a reference through the offline -----------------------
local walker = m:pfn_to_online_page(first + 5)
expect(walker:get_unless_zero(), "the walker gets its reference: the count is not 0")
if v61 then
	m:allow("fake-offline-referenced")
	expect_errno(m:offline(id), "EBUSY", "6.1: a referenced PageOffline page is busy")
	expect_eq(#m:violations("fake-offline-referenced"), 1, "the driver saw it")
	expect_eq(walker:count(), 2, "the driver's reference is back, and the walker's")
	expect_eq(m:state(id), "online")
	walker:put()
else
	m:allow("offline-isolated-pages")
	expect_ok(m:offline(id), "2025: the skippable page is skipped all the same")
	expect_eq(#m:violations("offline-isolated-pages"), 1, "only a warning")
	walker:put()
	expect_eq(walker:count(), 1, "the put leaves the driver's reference")
end
expect_eq(#m:violations("bad-page"), 0, "no page was freed under the driver")

-- ---- B: the walker's put comes after the driver's ------------------------------
if m:state(id) == "offline" then
	expect_ok(m:online(id, "online_movable"))
end
m:violations_clear()
local stray = m:pfn_to_online_page(first + 9)
expect(stray:get_unless_zero())
m:register_memory_notifier(function(event)
	if event == "MEM_GOING_OFFLINE" and stray then
		stray:put()
		stray = nil
		if v61 then
			-- The page is neither free nor PageOffline now: offline_pages()
			-- would loop forever, as the 2019 report says. Play the user
			-- who presses ^C.
			memhp.signal()
		end
	end
end, -1)				-- after the driver dropped its reference

if v61 then
	-- The machine stays broken on purpose: that is the bug.
	m:allow("fake-offline-referenced", "bad-page", "page-class", "managed-pages",
		"pageoffline-refcount")
	expect_errno(m:offline(id), "EINTR", "6.1: only a signal ends it")
	memhp.clear_signal()
	expect_eq(#m:violations("bad-page"), 1, "6.1: Bad page state when the stray put hits 0")
	local n = m:check()
	expect(n > 0, "and the checker sees the damage")
else
	expect_ok(m:offline(id), "2025: offline succeeds")
	expect_eq(#m:violations("bad-page"), 0, "2025: nothing is freed")
	expect_eq(m:pfn_to_page(first + 9):count(), 1, "2025: the driver still holds the page")
end
