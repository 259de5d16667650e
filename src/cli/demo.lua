-- SPDX-License-Identifier: MIT
--
-- demo.lua - what `memhp demo` runs: once per protocol, then once more for
-- the report of both (`memhp demo --print` shows this copy, the one built
-- into the program).
--
-- A 4 GiB x86_64 guest (QEMU q35) gets a virtio-mem device where QEMU puts
-- device memory; the driver plugs 4 GiB, which auto_online_blocks onlines
-- to ZONE_MOVABLE; memory fills with checksummed data and kernel
-- allocations; then the driver unplugs down to 1 GiB while two speculative
-- PFN walkers take and drop references on whatever pages they find.
--
-- The driver runs in sync mode: its work runs on this thread when a call
-- asks for it, so every operation it does lands inside the step that caused
-- it, and only the walkers (and the device's own thread) race.
--
-- `memhp demo` gives the script a `demo` table: the protocol, and what only
-- the demo does (the steps of its summarised timeline, what the driver's
-- work did during a step, ^C). What a run returns comes back as
-- demo.runs, with what the demo saw beside it (the findings as the kernel
-- log printed them, the checker's report, the time), for the report. Under
-- `memhp run` the same script runs one protocol with the stand-in below
-- (`memhp run demo.lua -- quick` for the small one): the steps are printed,
-- and the run allows the findings the demo is about.

local standalone = demo == nil
local demo = demo or {
	protocol = memhp.protocol,
	quick = arg and arg[1] == "quick",
	begin = function() end,
	step = function(what) print("step: " .. what) end,
	step_end = function(result) print("  = " .. result) end,
	note = function(text) print("  " .. text) end,
	counts = function() return nil end,
	interrupted = function() return false end,
	check = function(m) return (m:check()) end,
}

local GiB, MiB = memhp.size("1G"), memhp.size("1M")
local plan = demo.quick and {
	ram = 1 * GiB, region = 2 * GiB, plug = 1 * GiB, unplug_to = 256 * MiB,
	data = 128 * MiB, data_freed = 64 * MiB, kernel = 16 * MiB,
} or {
	ram = 4 * GiB, region = 8 * GiB, plug = 4 * GiB, unplug_to = 1 * GiB,
	data = 512 * MiB, data_freed = 256 * MiB, kernel = 64 * MiB,
}
-- Two walkers, each holding a reference this long asleep, as a kernel
-- thread preempted with a reference in hand holds it: long enough to meet
-- the driver now and then, often past the removal of the page's memory, and
-- taking no CPU from the driver's thread. (Walkers that spin hold that long
-- only when the host preempts them, so what they find depends on its cores.)
local WALKERS, HOLD_US = 2, 2000
-- Retry-timer firings to let pass before reporting a shortfall.
local MAX_RETRIES = 4
local VIRTIO_MEM_BLOCK = 2 * MiB
local PAGE = memhp.PAGE_SIZE
local fmt = memhp.fmt_size

-- QEMU puts device memory above high RAM (pc_memory_init()): at 4 GiB plus
-- the RAM above 4 GiB, rounded up to 1 GiB.
local function device_address(ram)
	local high = 0
	for _, r in ipairs(memhp.boot_ranges(ram)) do
		if r.start >= 4 * GiB then high = high + r.size end
	end
	return (4 * GiB + high + GiB - 1) // GiB * GiB
end

-- ---- One protocol: the scenario ---------------------------------------------------

local function run_protocol()
	local addr = device_address(plan.ram)
	demo.begin{ram = plan.ram, addr = addr, region = plan.region, plug = plan.plug,
		unplug_to = plan.unplug_to, walkers = WALKERS}
	local m = memhp.machine{
		ram = plan.ram,
		-- The address space ends with the device region: nothing is pluggable
		-- beyond, and the walkers look only where memory can be.
		phys_size = addr + plan.region,
		auto_online_blocks = "online_movable",
		protocol = demo.protocol,
		-- The checker runs at the end instead: after every one of the
		-- driver's hundreds of operations it would cost seconds.
		check_after_ops = false,
	}
	if standalone then
		m:allow("fake-offline-referenced", "bad-page", "offline-isolated-pages",
			"virtio-mem-check", "managed-pages")
		-- A page a walker freed under the driver makes offline_pages() retry
		-- forever (in Linux the virtio-mem worker spins there): let the finding
		-- interrupt it, as `memhp demo` does.
		m:interrupt_on("bad-page")
	end
	local dev = m:virtio_mem{id = "vm0", addr = addr, size = plan.region,
		block_size = VIRTIO_MEM_BLOCK, flavor = "qemu"}
	local r = {} -- what the report shows

	-- ---- How a step's summary reads ---------------------------------------------

	-- "memory48" or "memory48-79"
	local function blocks(first, last)
		return first == last and ("memory" .. first) or ("memory" .. first .. "-" .. last)
	end

	-- "24 ACK" or "23 ACK, 1 BUSY"
	local function responses(resp)
		local out = {}
		for _, t in ipairs{"ACK", "NACK", "BUSY", "ERROR"} do
			if resp[t] > 0 then out[#out + 1] = resp[t] .. " " .. t end
		end
		return #out > 0 and table.concat(out, ", ") or "no answer"
	end

	-- "" or "; 2 failed (1 -EBUSY, 1 -EINTR)"
	local function failures(op)
		if op.failed == 0 then return "" end
		local out = {}
		for _, e in ipairs(op.errs) do out[#out + 1] = e.n .. " " .. memhp.strerror(e.err) end
		return "; " .. op.failed .. " failed (" .. table.concat(out, ", ") .. ")"
	end

	local function plugged()
		return dev:config().plugged_size
	end

	local function online_device_blocks()
		local n, bs = 0, m:config().block_size
		for a = addr, addr + plan.region - 1, bs do
			local b = m:block(m:block_id(a))
			if b and b.state == "online" then n = n + 1 end
		end
		return n
	end

	local function device_rss()
		return m:host_resident(addr, plan.region) * PAGE
	end

	-- ---- The steps -----------------------------------------------------------------

	demo.step("virtio_mem probe vm0")
	local drv, err = dev:probe{sync = true}
	if not drv then
		demo.step_end(memhp.strerror(err))
		error("the virtio-mem driver did not probe: " .. memhp.strerror(err), 0)
	end
	local info = drv:info()
	demo.step_end(string.format("%s, %s sub-blocks, %s memory blocks",
		info.sbm and "Sub-Block Mode" or "Big Block Mode",
		fmt(info.sbm and info.sb_size or info.bb_size), fmt(m:config().block_size)))

	-- qom-set vm0 requested-size: the device tells the driver, the driver's
	-- work runs here. When it cannot finish it arms its retry timer: let
	-- driver time pass, as a guest left alone would, a few times.
	local function resize(size)
		local rc = dev:set_requested_size(size)
		if rc ~= 0 then return rc end
		for _ = 1, MAX_RETRIES do
			info = drv:info()
			if info.plugged_size == size or not info.timer_armed or info.broken or
			    demo.interrupted() then
				break
			end
			demo.note(string.format("the driver stopped at %s (%s); its retry timer fires in %d s",
				fmt(info.plugged_size), memhp.strerror(info.last_rc),
				(info.timer_due_ms - info.now_ms) // 1000))
			drv:advance(info.timer_due_ms - info.now_ms)
		end
		info = drv:info()
		return 0
	end

	if demo.interrupted() then return {cut_short = true} end
	demo.step("qom-set vm0 requested-size " .. fmt(plan.plug))
	local rc = resize(plan.plug)
	if rc ~= 0 then
		demo.step_end(memhp.strerror(rc))
		error("qom-set failed: " .. memhp.strerror(rc), 0)
	end
	local c = demo.counts()
	if c then
		demo.note(string.format("%d PLUG requests (%s); %s added, onlined to %s by auto_online_blocks",
			c.requests.PLUG, responses(c.responses),
			c.first_added and blocks(c.first_added, c.last_added) or "nothing",
			#c.zones > 0 and table.concat(c.zones, "+") or "no zone"))
	end
	demo.step_end("plugged " .. fmt(info.plugged_size))

	-- A guest that has run a while has data all over ZONE_MOVABLE, not packed
	-- at its low end, where freshly onlined memory (freed to the tail of the
	-- free lists) puts the first allocations. Scatter it: take every free
	-- max-order chunk of ZONE_MOVABLE and give them back in a random order. The
	-- chunks are never written and cost the host nothing.
	local function scatter_movable()
		local order = m:config().max_order
		local cap = m:zone("Movable").nr_free_pages >> order
		local chunks = {}
		while #chunks < cap do
			local p = m:alloc_pages("movable", order)
			if not p then break end
			if p:zone() ~= "Movable" then
				memhp.free_pages(p, order)
				break
			end
			chunks[#chunks + 1] = p
		end
		for i = #chunks, 2, -1 do
			-- m:random(0) is the generator's next 64 bits; their unsigned
			-- remainder keeps what a seed shuffles what it always was.
			local x = m:random(0)
			local q = ((x >> 1) // i) << 1
			local j = x - q * i
			if not math.ult(j, i) then j = j - i end
			j = j + 1
			chunks[i], chunks[j] = chunks[j], chunks[i]
		end
		for _, p in ipairs(chunks) do memhp.free_pages(p, order) end
	end

	if demo.interrupted() then return {cut_short = true} end
	demo.step("fill memory")
	local data, kalloc = m:data(), m:kalloc()
	scatter_movable()
	local got = data:alloc(plan.data // PAGE)
	data:free(plan.data_freed // PAGE)
	local in_device = data:nr_pages_in(addr, plan.region)
	demo.note(string.format("%s of checksummed data written, scattered over ZONE_MOVABLE; %s of it freed again",
		fmt(got * PAGE), fmt(plan.data_freed)))
	demo.note(string.format("%d data pages left, %d of them in the device's memory; freed pages stay resident on the host",
		data:nr_pages(), in_device))
	got = kalloc:alloc(plan.kernel // PAGE, "GFP_KERNEL")
	demo.note(string.format("%s of kernel allocations (GFP_KERNEL): never in ZONE_MOVABLE", fmt(got * PAGE)))
	r.data_pages = data:nr_pages()
	demo.step_end(fmt((r.data_pages + got) * PAGE) .. " in use")

	if demo.interrupted() then return {cut_short = true} end
	r.plugged_before = plugged()
	r.mi_before = m:meminfo()
	r.rss_before = device_rss()
	r.online_before = online_device_blocks()
	r.plug, r.requested = plan.plug, plan.unplug_to
	local migrated_before = data:nr_migrated()
	local walkers = m:walkers{threads = WALKERS, hold_us = HOLD_US}
	demo.note(string.format("%d PFN walkers start: pfn_to_online_page(), get_page_unless_zero(), a moment, put_page()",
		WALKERS))
	demo.step("qom-set vm0 requested-size " .. fmt(plan.unplug_to))
	rc = resize(plan.unplug_to)
	if rc ~= 0 then
		demo.step_end(memhp.strerror(rc))
		error("qom-set failed: " .. memhp.strerror(rc), 0)
	end
	c = demo.counts()
	if c then
		local gone = r.plugged_before - plugged()
		demo.note(string.format("%d UNPLUG requests (%s): %s, %d device blocks, given back to the host",
			c.requests.UNPLUG, responses(c.responses), fmt(gone), gone // VIRTIO_MEM_BLOCK))
		local contig, offline, remove = c.ops.alloc_contig_range, c.ops.offline_pages, c.ops.remove_memory
		demo.note(string.format("alloc_contig_range: %d ranges taken%s; %d data pages migrated out of the way",
			contig.n - contig.failed, failures(contig), data:nr_migrated() - migrated_before))
		demo.note(string.format("offline_pages: %d blocks offlined, %d removed%s",
			offline.n - offline.failed, remove.n - remove.failed, failures(offline)))
		if offline.failed > c.interrupted then
			demo.note("an offline that fails leaves its block online with every sub-block unplugged (fake-offline)")
		end
		if c.interrupted > 0 then
			local named = {}
			for i, id in ipairs(c.interrupted_named) do named[i] = "memory" .. id end
			if c.interrupted > #named then named[#named + 1] = "..." end
			demo.note(string.format("%s: a page freed under the driver made offline_pages retry forever (in Linux the worker spins): the demo interrupted %s (-EINTR)",
				table.concat(named, ", "), c.interrupted == 1 and "it" or "each"))
		end
	end
	demo.step_end("plugged " .. fmt(info.plugged_size))
	r.walk = walkers:stop()
	demo.note(string.format("walkers stopped: %d references taken, %d of them on PageOffline pages",
		r.walk.refs, r.walk.offline_refs))
	r.plugged_after = plugged()
	r.mi_after = m:meminfo()
	r.rss_after = device_rss()
	r.online_after = online_device_blocks()
	r.migrated = data:nr_migrated() - migrated_before

	-- What follows is bookkeeping: no signal is for it.
	memhp.clear_signal()
	local bad, verified = data:verify()
	r.verified = verified
	-- Lost: a page whose bytes changed, or one the owner no longer has.
	r.lost = bad + (verified < r.data_pages and r.data_pages - verified or 0)
	demo.step("check")
	demo.note(string.format("data: %d pages verified against their checksums, %d lost", r.verified, r.lost))
	r.check_nr = demo.check(m)
	-- It logs what it finds, so the count of findings includes it.
	r.drv_check_nr = drv:check()
	demo.note(string.format("invariant checker: %d violation%s; virtio-mem driver check: %d finding%s",
		r.check_nr, r.check_nr == 1 and "" or "s", r.drv_check_nr, r.drv_check_nr == 1 and "" or "s"))
	demo.step_end(r.lost > 0 and "DATA LOST" or "nothing lost")

	-- ---- The block table: lsmem's, with the driver's state -----------------------------

	local lsmem_names = {"None", "DMA", "DMA32", "Normal", "Highmem", "Movable", "Device"}

	-- lsmem's ZONES column from valid_zones: lsmem reads each name, whatever
	-- its case, and prints its own spelling ("none" is "None"), joined by '/'.
	local function lsmem_zones(valid_zones)
		local out = {}
		for name in valid_zones:gmatch("[^ ]+") do
			for _, known in ipairs(lsmem_names) do
				if known:lower() == name:lower() then name = known end
			end
			out[#out + 1] = name
		end
		return table.concat(out, "/")
	end

	local function driver_state(id, start)
		local s = drv:block_state(id)
		if not s or start < addr or start >= addr + plan.region then return "" end
		if not s:find("PARTIAL") then return s end
		local per = m:config().block_size // VIRTIO_MEM_BLOCK
		local n = 0
		for i = 0, per - 1 do
			if dev:block_plugged((start - addr) // VIRTIO_MEM_BLOCK + i) then n = n + 1 end
		end
		return string.format("%s %d/%d", s, n, per)
	end

	r.rows = {}
	r.block_size = m:config().block_size
	for _, b in ipairs(m:blocks()) do
		local row = {first = b.id, last = b.id, start = b.start, state = b.state,
			zone = lsmem_zones(m:valid_zones(b.id) or "?"), driver = driver_state(b.id, b.start)}
		local prev = r.rows[#r.rows]
		if prev and prev.last + 1 == row.first and prev.state == row.state and
		    prev.zone == row.zone and prev.driver == row.driver then
			prev.last = row.last
		else
			r.rows[#r.rows + 1] = row
		end
	end
	r.ok = true
	return r
end

-- ---- The report: both protocols side by side ------------------------------------------
--
-- memhp demo runs this file once more after the protocols, with demo.runs:
-- what each run returned, and what only the host saw (the findings as the
-- kernel log printed them, the invariant checker's report, the time).

local LABEL_W, CELL_W = 28, 36
-- Rows of a block table; the blocks past them are counted.
local MAX_ROWS = 24

-- What each kind of finding means, in one line (the host tells the kinds
-- apart as it counts, by rule and detail).
local meanings = {
	["fake-offline-referenced"] = "the driver's put in MEM_GOING_OFFLINE did not reach 0: a walker held a reference (6.1's WARN)",
	["put-after-removal"] = "a walker's put_page() came after its memory was removed: the memmap was gone (memhp zeroes it; Linux frees it)",
	["race-2019"] = "the 2019 race: a walker's put_page() freed a PageOffline page the driver had let go of: Bad page state, the page leaks",
	["isolated-bug"] = "a page freed under the driver was neither free nor PageOffline as its section went offline: 6.1 would BUG() there",
	["isolated-warn"] = "a skippable PageOffline page still had a walker's reference as its section went offline: the proposal's WARN, offlining goes on",
	["leaked-sub-block"] = "an unplugged sub-block of an online block has a page that is not fake-offline any more: the leaked page",
}

local function out(...)
	io.write(string.format(...))
end

-- A row of the table: a cell may hold several lines, the row is as tall
-- as its tallest.
local function row(runs, label, cell)
	local lines, height = {}, 1
	for i, run in ipairs(runs) do
		lines[i] = {}
		for l in (cell(run) .. "\n"):gmatch("([^\n]*)\n") do lines[i][#lines[i] + 1] = l end
		height = math.max(height, #lines[i])
	end
	for l = 1, height do
		out("%-" .. LABEL_W .. "s", l == 1 and label or "")
		for i = 1, #runs do
			out("%s%-" .. CELL_W .. "s", i > 1 and "  " or "", lines[i][l] or "")
		end
		out("\n")
	end
end

local function change(before, after)
	if after == before then return fmt(before) .. " (unchanged)" end
	return string.format("%s -> %s (%s%s)", fmt(before), fmt(after), after < before and "-" or "+",
		fmt(after < before and before - after or after - before))
end

local function plural(n, word)
	return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

-- The checker's rules, each once, with its first violation.
local function checker_rules(run)
	local seen, rules = {}, {}
	for _, v in ipairs(run.check and run.check.list or {}) do
		if not seen[v.rule] then
			seen[v.rule] = true
			rules[#rules + 1] = v
		end
	end
	return rules
end

local function count(run, kind)
	local n = 0
	for _, f in ipairs(run.rules) do
		if f.kind == kind then n = n + f.n end
	end
	return n
end

-- Blocks the table shows in a partial driver state.
local function partial_blocks(run)
	local n = 0
	for _, b in ipairs(run.rows) do
		if b.driver:find("PARTIAL") then n = n + b.last - b.first + 1 end
	end
	return n
end

local function report(runs)
	out("\n")
	row(runs, "", function(run) return run.title end)
	row(runs, "", function() return "before unplug -> after" end)
	row(runs, "requested size", function(run) return change(run.plug, run.requested) end)
	row(runs, "plugged size (device)", function(run) return change(run.plugged_before, run.plugged_after) end)
	row(runs, "MemTotal", function(run)
		return change(run.mi_before.total_pages * PAGE, run.mi_after.total_pages * PAGE)
	end)
	row(runs, "MemFree", function(run)
		return change(run.mi_before.free_pages * PAGE, run.mi_after.free_pages * PAGE)
	end)
	row(runs, "host RSS of the region", function(run) return change(run.rss_before, run.rss_after) end)
	row(runs, "online blocks in it", function(run) return run.online_before .. " -> " .. run.online_after end)
	row(runs, "data pages migrated", function(run) return tostring(run.migrated) end)
	row(runs, "walker references", function(run)
		return string.format("%d, %d on PageOffline", run.walk.refs, run.walk.offline_refs)
	end)
	row(runs, "findings during the run", function(run)
		local cell = {}
		for _, f in ipairs(run.rules) do cell[#cell + 1] = f.rule .. " x" .. f.n end
		return #cell > 0 and table.concat(cell, "\n") or "none"
	end)
	row(runs, "invariant checker", function(run)
		if not run.check then return "(out of memory)" end
		local cell = {plural(run.check.nr, "violation")}
		for _, v in ipairs(checker_rules(run)) do cell[#cell + 1] = v.rule end
		return table.concat(cell, "\n")
	end)
	row(runs, "virtio-mem driver check", function(run) return plural(run.drv_check_nr, "finding") end)
	row(runs, "checksummed data", function(run)
		return string.format("%d pages verified, %d lost", run.verified, run.lost)
	end)
	row(runs, "time", function(run) return string.format("%.1f s", run.seconds) end)

	-- Findings next to "0 violations" look like a contradiction: they are not.
	for _, run in ipairs(runs) do
		if run.nr_findings > 0 and run.check and run.check.nr == 0 then
			out("\nFindings are events: each WARN or Bad page state as it fired during the run.\n" ..
				"The invariant checker judges the state at the end; a run has findings and 0 violations\n" ..
				"when what they were about was gone by then (its memory removed, the reference\n" ..
				"dropped, the page leaked out of every count).\n")
			break
		end
	end

	for _, run in ipairs(runs) do
		out("\n%s: memory blocks at the end (lsmem), the device's blocks with the driver's state:\n", run.title)
		out("  %-37s %9s  %-8s %-15s %-9s %s\n", "RANGE", "SIZE", "STATE", "ZONES", "BLOCK", "VIRTIO-MEM")
		local left_out = 0
		for i, b in ipairs(run.rows) do
			local size = (b.last - b.first + 1) * run.block_size
			if i > MAX_ROWS then
				left_out = left_out + b.last - b.first + 1
			else
				out("  0x%016x-0x%016x %9s  %-8s %-15s %-9s %s\n", b.start, b.start + size - 1,
					fmt(size), b.state, b.zone,
					b.first == b.last and tostring(b.first) or b.first .. "-" .. b.last, b.driver)
			end
		end
		if left_out > 0 then out("  ... and %d more blocks\n", left_out) end
	end

	-- The driver's PARTIAL states, in words, when the table shows one.
	for _, run in ipairs(runs) do
		if partial_blocks(run) > 0 then
			local per = run.block_size // VIRTIO_MEM_BLOCK
			out("\nMOVABLE_PARTIAL N/%d: the driver's state for an online ZONE_MOVABLE block with N of its\n" ..
				"%d sub-blocks plugged; the others' pages are fake-offline (PageOffline, their memory\n" ..
				"given back to the host). The block stays online until all of it can go: its offline\n" ..
				"failed or was interrupted, or the requested size ends inside it.\n", per, per)
			break
		end
	end

	local header = false
	local function meaning(title, rule, text, example)
		if not header then out("\nWhat the findings mean:\n") end
		header = true
		out("  %s, %s: %s\n    e.g. %s\n", title, rule, text, example)
	end
	for _, run in ipairs(runs) do
		for _, f in ipairs(run.rules) do
			meaning(run.title, f.rule, meanings[f.kind] or "see docs/semantics.md, Invariants", f.sample)
		end
		if run.check and run.check.nr > 0 then
			for _, v in ipairs(checker_rules(run)) do
				meaning(run.title, "invariant checker, " .. v.rule, v.rule == "managed-pages" and
					"the leaked page is no longer PageOffline: the zone's managed count and the memmap disagree" or
					"what the race left behind does not add up", v.detail)
			end
		end
	end
	if not header then
		out("\nNo findings: this time no walker's reference met the driver's. Run again (another seed) to see the race.\n")
	end

	-- One line per protocol: what it did, and what came of it.
	out("\nIn short:\n")
	for _, run in ipairs(runs) do
		local race, referenced = count(run, "race-2019"), count(run, "fake-offline-referenced")
		local warned = count(run, "isolated-warn") + count(run, "isolated-bug")
		local late, partial = count(run, "put-after-removal"), partial_blocks(run)
		local what = ""
		if referenced > 0 then what = what .. string.format("; %d of its puts met a walker's reference", referenced) end
		if race > 0 then
			what = what .. string.format("%s %d page%s a walker freed under the driver leaked",
				referenced > 0 and "," or ";", race, race == 1 and "" or "s")
		end
		if warned > 0 then what = what .. "; " .. plural(warned, "walker reference") .. " only warned" end
		if late > 0 then
			what = what .. string.format("; %d late put_page()%s hit removed memory", late, late == 1 and "" or "s")
		end
		if partial > 0 then what = what .. "; " .. plural(partial, "block") .. " stayed online, partly unplugged" end
		if what == "" then what = "; no walker met the driver" end
		out("  %s: %s%s; %s%s.\n", run.title, run.protocol == "2025" and
			"pages kept their reference, offlining skipped them" or
			"the driver dropped its pages' references before offlining", what, fmt(run.plugged_after),
			run.plugged_after == run.requested and " plugged as requested" or " plugged, not " .. fmt(run.requested))
	end
end

if demo.runs then return report(demo.runs) end
return run_protocol()
