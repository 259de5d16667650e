-- SPDX-License-Identifier: MIT
--
-- demo.lua - what `memhp demo` runs, once per protocol (`memhp demo --print`
-- shows this copy, the one built into the program).
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
-- work did during a step, ^C); it prints its report from the table the
-- script returns. Under `memhp run` the same script runs with the stand-in
-- below (`memhp run demo.lua -- quick` for the small one): the steps are
-- printed, and the run allows the findings the demo is about.

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
-- Two walkers, each holding a reference for this many spins (tens of
-- microseconds), long enough to meet the driver now and then.
local WALKERS, HOLD_SPINS = 2, 20000
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
r.requested = plan.unplug_to
local migrated_before = data:nr_migrated()
local walkers = m:walkers{threads = WALKERS, hold_spins = HOLD_SPINS}
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
