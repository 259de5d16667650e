-- Memory failure and soft offlining, and what they leave for hotplug.
--
-- A hot-added ZONE_MOVABLE block full of checksummed data. Soft offlining
-- a data page migrates it first: nothing is lost. A memory failure on
-- another takes it from its owner, who knows it lost the page to the
-- hardware; one on a kernel page can only poison it (-EBUSY). Offlining
-- steps over the poisoned pages, HardwareCorrupted keeps counting them
-- while the block is offline, and removing the block clears them.
--
--   memhp run scenarios/memory-failure.lua

local m = memhp.machine{ram = "1G", phys_size = "64G"}
local base = memhp.size("4G")
expect_ok(m:add_memory(base, "256M"))
local movable, normal = m:block_id(base), m:block_id(base) + 1
expect_ok(m:online(movable, "online_movable"))
expect_ok(m:online(normal, "online_kernel"))

local d = m:data()
expect_eq(d:alloc(1000), 1000)
local k = m:kalloc()
expect_eq(k:alloc(1000), 1000)

-- Soft offline: the data moves, the old page is poisoned.
local pfn = d:pfn(0)
expect_ok(m:soft_offline_page(pfn), "a data page is migrated away")
expect(d:pfn(0) ~= pfn, "its owner has the new pfn")
expect(m:pfn_to_page(pfn):PageHWPoison(), "the old page is poisoned")
expect_ok(m:soft_offline_page(pfn), "a poisoned page: nothing to do")

-- Hard offline: the data is gone, and the owner says why.
expect_ok(m:memory_failure(d:pfn(1)), "dirty LRU page: Recovered")
local lost, verified, hwpoisoned = d:verify()
expect_eq(hwpoisoned, 1, "one page lost to the hardware")
expect_eq(lost, hwpoisoned, "and nothing lost to memhp")
expect_eq(verified, 999)

-- A kernel page in the Normal block: poisoned, still the kernel's.
local kpfn
for p = m:block_pfn(normal), m:block_pfn(normal) + m:config().pages_per_block - 1 do
	local page = m:pfn_to_page(p)
	if page:count() == 1 and not page:PageReserved() and not page:PageLRU() then
		kpfn = p
		break
	end
end
expect(kpfn, "a kernel page in the Normal block")
expect_errno(m:soft_offline_page(kpfn), "EIO", "soft offline cannot handle it")
expect_errno(m:memory_failure(kpfn), "EBUSY", "unknown page: Ignored")
expect_errno(m:memory_failure(kpfn), "EHWPOISON", "already poisoned")
expect_eq(m:meminfo().HardwareCorrupted, 12, "three pages, in kB")

-- Offlining steps over the poisoned pages; removal forgets them.
expect_ok(m:offline(movable), "the data moves, the poisoned pages stay")
expect_eq(m:meminfo().hwpoison_pages, 3, "offline memory keeps its poison")
expect_ok(m:remove_memory(base, "128M"))
expect_eq(m:meminfo().hwpoison_pages, 1, "the kernel page's is left")
expect_eq(m:read("/proc/meminfo"):match("HardwareCorrupted:%s+(%d+)"), "4")
