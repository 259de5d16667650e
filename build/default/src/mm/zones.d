build/default/src/mm/zones.o: src/mm/zones.c src/mm/internal.h \
 include/memhp/memhp.h include/memhp/alloc.h include/memhp/page.h \
 include/memhp/machine.h include/memhp/check.h include/memhp/hotplug.h \
 include/memhp/notifier.h include/memhp/workload.h
src/mm/internal.h:
include/memhp/memhp.h:
include/memhp/alloc.h:
include/memhp/page.h:
include/memhp/machine.h:
include/memhp/check.h:
include/memhp/hotplug.h:
include/memhp/notifier.h:
include/memhp/workload.h:
