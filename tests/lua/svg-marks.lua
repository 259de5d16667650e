-- What the memory map marks, each at a place known in advance: a
-- virtio-mem region with 100 of its 2 MiB device blocks plugged (all 64 of
-- memory32, 36 of memory33), and one finding at a known pfn of memory33.
-- tests/svg.sh reads the map back (memhp run --svg).
local m = memhp.machine{ram = "1G", phys_size = "16G", auto_online_blocks = "online_movable"}
local dev = m:virtio_mem{addr = "4G", size = "1G"}
dev:probe()
expect_ok(dev:set_requested_size("200M"))
m:report(m:block_pfn(33) + 0x1005, "svg-test", "a finding the map must mark")
m:allow("svg-test")
