build/default/src/workload/data.o: src/workload/data.c \
 src/workload/workload.h include/memhp/memhp.h include/memhp/alloc.h \
 include/memhp/page.h include/memhp/machine.h include/memhp/check.h \
 include/memhp/hotplug.h include/memhp/notifier.h \
 include/memhp/workload.h
src/workload/workload.h:
include/memhp/memhp.h:
include/memhp/alloc.h:
include/memhp/page.h:
include/memhp/machine.h:
include/memhp/check.h:
include/memhp/hotplug.h:
include/memhp/notifier.h:
include/memhp/workload.h:
