build/default/src/cli/main.o: src/cli/main.c src/cli/cli.h \
 include/memhp/memhp.h include/memhp/alloc.h include/memhp/page.h \
 include/memhp/machine.h include/memhp/check.h include/memhp/hotplug.h \
 include/memhp/notifier.h include/memhp/workload.h
src/cli/cli.h:
include/memhp/memhp.h:
include/memhp/alloc.h:
include/memhp/page.h:
include/memhp/machine.h:
include/memhp/check.h:
include/memhp/hotplug.h:
include/memhp/notifier.h:
include/memhp/workload.h:
