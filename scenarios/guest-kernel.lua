-- A guest is never a clean room: the kernel at work puts its own pages
-- into the first Normal memory it gets, and then that memory cannot go.
--
-- A 1 GiB q35 guest has all its boot RAM below 4 GiB (DMA32). A DIMM block
-- onlined with "online" becomes ZONE_NORMAL, the guest's only Normal
-- memory: the highest zone every kernel allocation tries first. The next
-- program that runs (here: the one that writes "offline") gets its page
-- tables there, at the block's first pfns, so the offline fails with
-- -EBUSY, as it did in 25 of 25 runs of Debian's 6.1 under QEMU
-- (docs/linux-comparison.md, case a). A block onlined after it stays
-- empty and goes; ZONE_MOVABLE never gets a kernel page.
--
--   memhp run scenarios/guest-kernel.lua

local m = memhp.machine{ram = "1G", phys_size = "16G", kaslr = false}
local g = m:guest()
local slab = m:meminfo().Slab
expect(slab > 14000, "a booted kernel holds slab (Linux: about 15 MB)")

m:add_memory("4G", "256M")
local first = m:block_id("4G")
expect_ok(m:online(first, "online"))
expect_eq(m:block(first).zone, "Normal", "memory" .. first .. " is the only Normal memory")

-- The writer of "offline" starts: its PGD, PUD and PTE pages come from
-- the highest zone, at the block's first pfns.
local writer = g:fork{page_tables = 5, anon = "50K"}
expect(writer, "the program starts")
expect_errno(m:offline(first), "EBUSY", "the first Normal block holds the writer's page tables")

-- A block onlined after it is where nothing has gone yet.
expect_ok(m:online(first + 1, "online"))
expect_ok(m:offline(first + 1), "the next Normal block goes")

-- Movable memory never holds kernel pages, however busy the guest.
expect_ok(m:online(first + 1, "online_movable"))
for _ = 1, 20 do
	g:exit(g:fork{page_tables = 8, anon = "1M"})
	g:files(10)
end
g:advance(60 * 1000)
expect_ok(m:offline(first + 1), "ZONE_MOVABLE goes, its anonymous pages migrated")

g:exit(writer)
local st = g:stats()
expect_eq(st.anon_corrupted, 0, "no byte of the programs' memory was lost")
