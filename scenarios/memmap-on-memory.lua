-- memory_hotplug.memmap_on_memory: hot-added memory that carries its own
-- memmap, and what a small guest does without it.
--
-- Every 4 KiB page has a 64-byte struct page: 2 MiB of memmap for each
-- 128 MiB memory block. Without memmap_on_memory the kernel allocates it
-- from memory it already has, so a small guest cannot take a big DIMM:
-- 16 GiB need 256 MiB of memmap. With the parameter on (a boot option of
-- 6.1, never changed at run time), add_memory_resource() puts the memmap in
-- the first pages of the added range itself (vmem_altmap), but only when
-- the caller passes MHP_MEMMAP_ON_MEMORY and the range is exactly one
-- memory block (mhp_supports_memmap_on_memory()). In 6.1 ACPI's DIMMs ask
-- for it (acpi_memory_enable_device()); virtio-mem never does.
--
--   memhp run scenarios/memmap-on-memory.lua --svg memmap-on-memory.svg
--
-- In the map the first cells of each such block are "reserved / memmap".

local m = memhp.machine{ram = "256M", phys_size = "64G", memmap_on_memory = true}
local cfg = m:config()
local block = cfg.block_size
local memmap = cfg.pages_per_block * 64 // 4096 -- pages of struct page a block
local base = memhp.size("4G")

-- ---- One-block DIMMs carry their memmap ----------------------------------------
local before = m:meminfo()
for i = 0, 3 do
	expect_ok(m:add_memory(base + i * block, block, {memmap_on_memory = true}))
	expect_eq(m:block(m:block_id(base + i * block)).nr_vmemmap_pages, memmap,
		"the block's first pages hold its memmap")
end
expect_eq(m:meminfo().free_pages, before.free_pages, "nothing taken from the kernel")
local first = m:block_id(base)
for id = first, first + 3 do
	expect_ok(m:online(id, "online_movable"))
end
expect_eq(m:meminfo().total_pages - before.total_pages, 4 * (cfg.pages_per_block - memmap),
	"the memmap pages are present but never managed")
local head = m:pfn_to_online_page(m:block_pfn(first))
expect(not head:PageBuddy(), "the block's first page is memmap, not free memory")

-- They go away one block at a time, the granularity they came in.
expect_ok(m:offline(first))
expect_ok(m:offline(first + 1))
expect_errno(m:remove_memory(base, 2 * block), "EINVAL", "wrong granularity")
expect_ok(m:remove_memory(base, block))
expect_ok(m:remove_memory(base + block, block))

-- Only a single block may carry its memmap: a bigger DIMM is refused the
-- flag (ACPI's driver does not pass it for one).
expect_errno(m:add_memory("8G", 2 * block, {memmap_on_memory = true}), "EINVAL")

-- ---- Without it, the memmap comes from the kernel's memory ----------------------
before = m:meminfo()
expect_ok(m:add_memory("8G", 2 * block))
expect_eq(before.free_pages - m:meminfo().free_pages, 2 * memmap, "2 MiB of kernel memory a block")
expect_ok(m:remove_memory("8G", 2 * block))

-- ---- virtio-mem does not ask for it ----------------------------------------------
local dev = m:virtio_mem{addr = "12G", size = "1G"}
local drv = dev:probe{force_bbm = true}
expect_ok(dev:set_requested_size(block))
expect_eq(m:block(m:block_id("12G")).nr_vmemmap_pages, 0,
	"a one-block big block, and still its memmap is the kernel's")
expect_ok(m:online(m:block_id("12G"), "online_movable"))
expect(m:pfn_to_online_page(m:block_pfn(m:block_id("12G"))):PageBuddy(), "its first page is free memory")

-- A big DIMM in a small guest: 16 GiB would need 256 MiB of memmap. The
-- hot-add fails part of the way, and 6.1 keeps what it had: __add_pages()
-- does not undo the sections before the one that failed, x86's add_pages()
-- WARNs (once), and their memmap is lost to the guest for good.
m:allow("hot-add-leak")
before = m:meminfo()
expect_errno(m:add_memory("16G", "16G"), "ENOMEM")
local lost = before.free_pages - m:meminfo().free_pages
expect(lost >= memmap, "the sections added before the failure keep their memmap")
expect(m:pfn_valid(memhp.size("16G") // 4096), "their pfns are valid")
expect_eq(m:block(m:block_id("16G")), nil, "with no memory block")
expect_errno(m:add_memory("16G", block), "EEXIST", "the range cannot be added again")
print(string.format("the failed hot-add lost %d MiB of kernel memory", lost * 4 // 1024))

-- What is left of the guest's memory would not hold another big DIMM's
-- memmap; one-block DIMMs that carry their own still go in, and the
-- guest's free memory does not move.
before = m:meminfo()
local dimm = memhp.size("40G")
for i = 0, 7 do
	expect_ok(m:add_memory(dimm + i * block, block, {memmap_on_memory = true}))
end
expect_eq(m:meminfo().free_pages, before.free_pages)
for id = m:block_id(dimm), m:block_id(dimm) + 7 do
	expect_ok(m:online(id, "online_movable"))
end

