-- Huge pages and hot(un)plug: what 6.1 does with hugetlb pages and THPs
-- in memory that goes away.
--
-- A Debian 6.1 guest with a 1 GiB DIMM online_movable (tests/guest/alloc.sh)
-- showed each step:
--   * nr_hugepages=64 put 60 pages in the DIMM's first block, 4 in the
--     next: 2 MiB pages are GFP_HIGHUSER_MOVABLE, ZONE_MOVABLE first;
--   * offlining the first block dissolved its 60 free pages: the pool was
--     4 afterwards (offlining shrinks the pool, it does not move free pages);
--   * a block holding two in-use pages never went offline: the migration
--     target is the free page at the head of the pool's list, wherever it
--     lies, and the page a migration leaves goes back to the head.
-- alloc_contig_range() (virtio-mem's unplug) replaces free huge pages
-- instead, and the pool keeps its size. A THP moves whole, or is split
-- when no 2 MiB page can be had.
--
--   memhp run scenarios/hugetlb.lua --svg hugetlb.svg

local m = memhp.machine{ram = "1G", phys_size = "64G", nr_cpus = 2}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "512M"))
local first = m:block_id(base)
for id = first, first + 3 do
	expect_ok(m:online(id, "online_movable"))
end
local per_block = m:config().pages_per_block // 512

local function huge_in(id)
	local n = 0
	for pfn = m:block_pfn(id), m:block_pfn(id + 1) - 1, 512 do
		local p = m:pfn_to_online_page(pfn)
		if p and p:PageHuge() then n = n + 1 end
	end
	return n
end

-- ---- The pool comes from ZONE_MOVABLE ------------------------------------------------
expect_ok(m:nr_hugepages(80))
expect_eq(m:hugepages().total, 80)
expect_eq(huge_in(first), per_block, "the first hot-added block is full of them")
expect_eq(huge_in(first + 1), 80 - per_block, "the rest in the next")

-- ---- Offlining dissolves free huge pages: the pool shrinks -----------------------
expect_ok(m:offline(first), "64 free huge pages dissolved")
expect_eq(m:hugepages().total, 80 - per_block, "the pool is smaller by as many")
expect_ok(m:online(first, "online_movable"))

-- ---- alloc_contig_range() replaces them: the pool keeps its size -----------------
local pfn = m:block_pfn(first + 1)
expect(m:pfn_to_online_page(pfn):PageHuge())
expect_ok(m:alloc_contig_range(pfn, pfn + 512), "a free huge page in the way")
expect_eq(m:hugepages().total, 80 - per_block, "replaced by a fresh one elsewhere")
m:free_contig_range(pfn, 512)

-- ---- In-use huge pages: the ping-pong ---------------------------------------------
expect_ok(m:nr_hugepages(0))
expect_ok(m:nr_hugepages(2))
local f = m:hugetlbfs()
expect_eq(f:fallocate(2), 2)
local busy = m:block_id(f:pfn(0) * 4096)
expect_eq(m:block_id(f:pfn(1) * 4096), busy, "both in one block")
expect_ok(m:nr_hugepages(10), "free pages elsewhere to migrate to")
local rounds = 0
local hook = m:trace(function(ev)
	if ev.kind == "migrate_round" then
		rounds = rounds + 1
		if rounds == 10 then memhp.signal() end	-- ^C
	end
end)
expect_errno(m:offline(busy), "EINTR",
	"6.1 hands out the page just left behind as the next target: it never ends")
memhp.clear_signal()
m:untrace(hook)
expect(f:nr_migrated() >= 10, "every round moved pages, inside the block")
expect_eq(f:verify(), 0, "no byte lost on the way")
f:truncate(2)
expect_ok(m:offline(busy), "with the file gone, the free pages are dissolved")
expect_ok(m:online(busy, "online_movable"))
expect_ok(m:nr_hugepages(0))

-- ---- THP: migrated whole, split when it must be ------------------------------------
local t = m:thp()
expect_eq(t:alloc(4), 4)
expect_eq(t:nr_huge(), 4, "four 2 MiB THPs")
local thp_block = m:block_id(t:pfn(0) * 4096)
expect_ok(m:offline(thp_block))
expect_eq(t:nr_huge(), 4, "still THPs: each moved to a new 2 MiB page")
expect_eq(t:nr_split(), 0)
expect_eq(t:verify(), 0)
