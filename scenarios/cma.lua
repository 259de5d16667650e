-- A CMA area (cma=64M@512M) and what it means for hot-unplug.
--
-- On a kernel built with CONFIG_CMA (Debian's 6.1 is not; Fedora's and
-- Ubuntu's are), cma= reserves a range at boot whose pageblocks become
-- MIGRATE_CMA once the buddy runs: free, managed, counted in CmaTotal and
-- CmaFree. Only movable allocations may use them, so that cma_alloc() can
-- always take a range back: alloc_contig_range(MIGRATE_CMA) migrates what
-- is in the way. To everyone else a CMA pageblock is unmovable: the memory
-- block that holds one can never be offlined, and virtio-mem's
-- alloc_contig_range(MIGRATE_MOVABLE) is refused it too.
--
--   memhp run scenarios/cma.lua

local m = memhp.machine{ram = "1G", phys_size = "64G", cma = "64M", cma_base = "512M"}
local area = m:cma()
expect(area, "the area was reserved")
expect_eq(area.count, 16384, "64 MiB of pages")
expect_eq(area.free, area.count, "all of it free at boot")
expect_eq(m:migratetype(area.base_pfn), "CMA")
local cma_block = m:block_id(area.base_pfn * 4096)

-- ---- Kernel allocations never land there ------------------------------------
local k = m:kalloc()
k:alloc(1000)
expect_eq(m:cma().free, area.count, "a thousand kernel pages, none from CMA")

-- ---- Movable data may ---------------------------------------------------------
local d = m:data()
local n = d:alloc(m:meminfo().free_pages - area.count // 2)
local inside = 0
for i = 0, d:nr_slots() - 1 do
	local pfn = d:pfn(i)
	if pfn >= area.base_pfn and pfn < area.base_pfn + area.count then
		inside = inside + 1
	end
end
expect(inside > 0, "movable data spilled into the CMA area")

-- ---- cma_alloc() takes a range back by migrating it --------------------------
local migrated0 = d:nr_migrated()
local pfn = m:cma_alloc(4096, 9)
expect(pfn > 0, "cma_alloc of 16 MiB")
expect(d:nr_migrated() > migrated0, "the data in the way moved")
local bad = d:verify()
expect_eq(bad, 0, "intact")
expect_eq(m:cma().allocated, 4096)

-- ---- Offlining a block with CMA pageblocks fails -------------------------------
expect_errno(m:offline(cma_block), "EBUSY", "a CMA pageblock is unmovable to offlining")
expect_eq(m:state(cma_block), "online")
expect_errno(m:alloc_contig_range(area.base_pfn + 8192, area.base_pfn + 8192 + 512), "EBUSY",
	"and to alloc_contig_range(MIGRATE_MOVABLE)")

expect_ok(m:cma_release(pfn, 4096))
expect_eq(m:cma().allocated, 0)
d:free(n)
