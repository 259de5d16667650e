-- Two NUMA nodes, a virtio-mem device on each: where allocations go when a
-- node is full, and where offlining moves what it must move.
--
-- Each node has 128 MiB of boot RAM and a CPU; the nodes are 20 apart
-- (QEMU's default; -numa dist sets others). QEMU tells each virtio-mem
-- driver its node (VIRTIO_MEM_F_ACPI_PXM), and the driver adds its memory
-- there as a dynamic memory group; onlined movable, it is the node's
-- ZONE_MOVABLE.
--
-- A movable allocation on CPU 0 walks node 0's zonelist: node 0's
-- ZONE_MOVABLE, then its DMA32, and only when no zone of node 0 has a free
-- page, node 1's zones in the same order (6.1's build_zonelists(): node by
-- node, by distance). So the data fills node 0 first and spills over.
--
-- Offlining then sends what it migrates to another node with memory before
-- its own (do_migrate_range() leaves the source node out of the nodemask
-- while another node has memory): node 0's data goes to node 1 although
-- node 0's DMA32 has room again. virtio-mem's unplug of an online block
-- takes it with alloc_contig_range() instead, whose targets prefer the
-- range's own node: some of that data stays on node 0.
--
-- The timeline's instants give the counts; on the map (--svg) each row
-- names its node, and node 1's rows hold the data.
--
--   memhp run scenarios/numa.lua --svg numa.svg

-- Small blocks keep it quick: the sweep runs it some twenty times.
local m = memhp.machine{ram = "256M", phys_size = "16G", nr_cpus = 2,
	section_size = "32M", block_size = "32M",
	auto_online_blocks = "online_movable",
	numa = {{mem = "128M", cpus = {0}}, {mem = "128M", cpus = {1}}}}
local NODES = "/sys/devices/system/node"
local vm0 = m:virtio_mem{id = "vm0", addr = "4G", size = "1G", node_id = 0}
local vm1 = m:virtio_mem{id = "vm1", addr = "5G", size = "1G", node_id = 1}
local drv0, drv1 = vm0:probe(), vm1:probe()

-- ---- Each device's memory is its node's ------------------------------------------------
expect_ok(vm0:set_requested_size("64M"))
expect_ok(vm1:set_requested_size("64M"))
local first0, first1 = m:block_id("4G"), m:block_id("5G")
expect_eq(m:block(first0).nid, 0, "vm0's first block is on node 0")
expect_eq(m:block(first1).nid, 1, "vm1's first block is on node 1")
expect_eq(m:block(first1).zone, "Movable", "onlined movable")
expect_eq(m:read(NODES .. "/has_memory"), "0-1\n", "both nodes have memory")
expect_eq(m:read(NODES .. "/node0/distance"), "10 20\n")

-- node N's MemFree, in KiB, from its meminfo.
local function node_free_kb(nid)
	local text = m:read(NODES .. "/node" .. nid .. "/meminfo")
	return tonumber(text:match("Node " .. nid .. " MemFree: +(%d+) kB"))
end

-- How many of the data's pages each node holds.
local function pages_by_node(d)
	local n = {[0] = 0, [1] = 0}
	for slot = 0, d:nr_slots() - 1 do
		local pfn = d:pfn(slot)
		if pfn then
			local nid = m:pfn_to_page(pfn):nid()
			n[nid] = n[nid] + 1
		end
	end
	return n
end

-- ---- Fallback: node 0 is used up before node 1 is touched ------------------------------
m:set_cpu(0)
local node0_free = node_free_kb(0) // 4
local d = m:data()
-- Node 0's free pages and 16 MiB more. Some of node 0's free pages wait on
-- CPU 0's per-cpu lists, which the allocation uses too.
expect_eq(d:alloc(node0_free + 4096), node0_free + 4096)
local by = pages_by_node(d)
expect(by[0] >= node0_free, "node 0 gave every free page it had: " .. by[0])
expect(by[1] > 0 and by[1] <= 4096, "then node 1, its fallback, the rest: " .. by[1])
expect(node_free_kb(0) < 4096, "node 0 is (nearly) full")
m:trace_instant(string.format("node 0 full: %d data pages on node 0, %d on node 1", by[0], by[1]))

-- ---- Offlining moves data to the other node; virtio-mem's unplug does not ------------
-- Make room on node 0's DMA32 first.
d:free(by[0] // 4)
expect(node_free_kb(0) > 16384, "node 0 has room again")

-- The guest offlines vm0's second block (as "echo offline > state" does):
-- offline_pages() sends every page to node 1, the other node with memory.
local moved = d:nr_migrated()
local before = pages_by_node(d)
expect_ok(m:offline(first0 + 1))
local offlined = d:nr_migrated() - moved
expect(offlined > 0, "offlining migrated data out of memory" .. first0 + 1)
local after = pages_by_node(d)
expect_eq(after[1] - before[1], offlined, "every page it moved went to node 1")
m:trace_instant(string.format("offline_pages moved %d pages, node 1 gained %d", offlined,
	after[1] - before[1]))

-- The host takes vm0's memory back: the driver unplugs the offline block
-- as it is, and takes the online one with alloc_contig_range(), whose
-- targets prefer the range's own node (__alloc_contig_migrate_range():
-- mtc.nid, no nodemask): node 0's DMA32 first.
moved, before = d:nr_migrated(), after
expect_ok(vm0:set_requested_size(0))
expect_eq(drv0:info().plugged_size, 0, "vm0 unplugged everything")
expect_eq(m:block(first0), nil, "and its blocks are gone")
after = pages_by_node(d)
expect(d:nr_migrated() > moved, "alloc_contig_range() migrated data too")
local stayed = after[0] - (before[0] - (d:nr_migrated() - moved))
expect(stayed > 0, "and some of it stayed on node 0")
m:trace_instant(string.format("alloc_contig_range moved %d pages, %d stayed on node 0",
	d:nr_migrated() - moved, stayed))
local lost = d:verify()
expect_eq(lost, 0, "no data lost on the way")
expect_eq(drv1:info().plugged_size, memhp.size("64M"), "vm1 is untouched")
