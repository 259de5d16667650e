-- A scenario that breaks the machine on purpose when, and only when, the
-- memmap's bookkeeping could not be allocated: tests/sweep.sh checks that
-- memhp sweep sees it at point 3 and nowhere else.
local m = memhp.machine{ram = "1G"}
expect_ok(m:add_memory(memhp.size("4G"), "128M"))
if m:fault_hits("memmap-meta") > 0 then
	m:report(0, "canary", "the sweep must see this")
end
