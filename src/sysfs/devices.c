// SPDX-License-Identifier: MIT
/*
 * devices.c - the machine's buses, devices, modules and firmware as 6.1's
 * sysfs shows them, beyond memory blocks: /sys/bus/node and
 * /sys/bus/virtio (drivers/base/bus.c), the virtio-mem devices under their
 * PCI functions (drivers/virtio/virtio.c), /sys/module/virtio_mem
 * (kernel/params.c, kernel/module/sysfs.c) and /sys/firmware/memmap
 * (drivers/firmware/memmap.c).
 *
 * The virtio bus and the virtio_mem module exist while the machine has a
 * virtio-mem device bound to its driver: Debian builds both as modules,
 * loaded for the device.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

/* VIRTIO_ID_MEM, and the virtio-pci transport's subsystem vendor id. */
#define VIRTIO_ID_MEM 24
#define VIRTIO_PCI_VENDOR 0x1af4
/* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK: a probed device. */
#define VIRTIO_STATUS_PROBED 0xf

bool fs_has_virtio(struct memhp_fs *fs)
{
	return memhp_vmem_drv_next(fs->m, 0) >= 0;
}

/* ---- /sys/firmware/memmap/N ----------------------------------------------------- */

static int fwmap_entry(struct memhp_fs *fs, const struct fs_ref *r,
		       struct memhp_firmware_map_entry *e)
{
	return memhp_firmware_map_entry(fs->m, r->id, e) ? -ENODEV : 0;
}

/* start_show(), end_show(): "0x%llx\n"; type_show(): "%s\n". */
FS_SHOW(show_fwmap_start)
{
	struct memhp_firmware_map_entry e;
	int ret = fwmap_entry(fs, r, &e);

	if (!ret)
		buf_printf(b, "0x%llx\n", (unsigned long long)e.start);
	return ret;
}

FS_SHOW(show_fwmap_end)
{
	struct memhp_firmware_map_entry e;
	int ret = fwmap_entry(fs, r, &e);

	if (!ret)
		buf_printf(b, "0x%llx\n", (unsigned long long)e.end);
	return ret;
}

FS_SHOW(show_fwmap_type)
{
	struct memhp_firmware_map_entry e;
	int ret = fwmap_entry(fs, r, &e);

	if (!ret)
		buf_printf(b, "%s\n", e.type);
	return ret;
}

/* ---- Buses: drivers_autoprobe, drivers_probe, uevent ------------------------------ */

/* The bus whose file @r is: its directory's name ("node", "virtio"). */
static const char *bus_name(const struct fs_ref *r)
{
	return fs_nodes[fs_nodes[r->idx].parent].name;
}

static _Atomic bool *bus_noautoprobe(struct memhp_fs *fs, const struct fs_ref *r)
{
	return !strcmp(bus_name(r), "virtio") ? &fs->virtio_noautoprobe : &fs->node_noautoprobe;
}

FS_SHOW(show_bus2_autoprobe)
{
	buf_printf(b, "%d\n", !atomic_load(bus_noautoprobe(fs, r)));
	return 0;
}

/* store_drivers_autoprobe(): "0..." turns it off, anything else on. */
FS_STORE(store_bus2_autoprobe)
{
	atomic_store(bus_noautoprobe(fs, r), buf[0] == '0');
	return (ssize_t)len;
}

/* store_drivers_probe(): a device of the bus by name (sysfs_streq); it is
 * bound already (virtio) or has no driver (node): success. No such
 * device: -ENODEV. */
FS_STORE(store_bus2_probe)
{
	char name[FS_DEVPATH_MAX];

	if (!strcmp(bus_name(r), "node")) {
		for (int nid = 0; nid < MEMHP_MAX_NUMNODES; nid++) {
			snprintf(name, sizeof(name), "node%d", nid);
			if (fs_node_online(fs, nid) && sysfs_streq(name, buf))
				return (ssize_t)len;
		}
		return -ENODEV;
	}
	for (long id = memhp_vmem_drv_next(fs->m, 0); id >= 0;
	     id = memhp_vmem_drv_next(fs->m, (unsigned long)id + 1)) {
		snprintf(name, sizeof(name), "virtio%ld", id);
		if (sysfs_streq(name, buf))
			return (ssize_t)len;
	}
	return -ENODEV;
}

FS_STORE(store_bus2_uevent)
{
	char devpath[FS_DEVPATH_MAX];

	snprintf(devpath, sizeof(devpath), "/bus/%s", bus_name(r));
	return fs_synth_uevent(fs, devpath, "bus", buf, len);
}

/* A driver's uevent file (drivers/base/bus.c, driver_uevent_store()). */
FS_STORE(store_drv_uevent)
{
	return fs_synth_uevent(fs, "/bus/virtio/drivers/virtio_mem", "drivers", buf, len);
}

FS_LINK(link_node_bus_device)
{
	buf_printf(b, "../../../devices/system/node/node%d", r->nid);
}

/* ---- The virtio bus and its devices ----------------------------------------------- */

FS_LINK(link_virtio_bus_device)
{
	buf_printf(b, "../../../devices/pci0000:00/0000:00:%02lx.0/virtio%lu",
		   fs_virtio_pci_slot(r->id), r->id);
}

FS_LINK(link_virtio_driver_device)
{
	buf_printf(b, "../../../../devices/pci0000:00/0000:00:%02lx.0/virtio%lu",
		   fs_virtio_pci_slot(r->id), r->id);
}

FS_LINK(link_virtio_driver_module)
{
	buf_puts(b, "../../../../module/virtio_mem");
}

FS_LINK(link_virtio_dev_driver)
{
	buf_puts(b, "../../../../bus/virtio/drivers/virtio_mem");
}

FS_LINK(link_virtio_dev_subsystem)
{
	buf_puts(b, "../../../../bus/virtio");
}

FS_SHOW(show_virtio_device)
{
	buf_printf(b, "0x%04x\n", VIRTIO_ID_MEM);
	return 0;
}

FS_SHOW(show_virtio_vendor)
{
	buf_printf(b, "0x%04x\n", VIRTIO_PCI_VENDOR);
	return 0;
}

FS_SHOW(show_virtio_status)
{
	buf_printf(b, "0x%08x\n", VIRTIO_STATUS_PROBED);
	return 0;
}

FS_SHOW(show_virtio_modalias)
{
	buf_printf(b, "virtio:d%08Xv%08X\n", VIRTIO_ID_MEM, VIRTIO_PCI_VENDOR);
	return 0;
}

/* uevent_show(): dev_uevent()'s DRIVER, then the bus's MODALIAS. */
FS_SHOW(show_virtio_uevent)
{
	buf_printf(b, "DRIVER=virtio_mem\nMODALIAS=virtio:d%08Xv%08X\n", VIRTIO_ID_MEM,
		   VIRTIO_PCI_VENDOR);
	return 0;
}

/* ---- /sys/module/virtio_mem --------------------------------------------------------- */

/* The parameters the module was loaded with: one set for the module in
 * Linux; memhp's drivers each have theirs, and sysfs shows the first
 * device's. */
static int vmem_params(struct memhp_fs *fs, struct memhp_vmem_drv_params *p)
{
	struct memhp_vmem_drv_desc d;
	long id = memhp_vmem_drv_next(fs->m, 0);

	if (id < 0 || memhp_vmem_drv_describe(fs->m, (unsigned long)id, &d))
		return -ENODEV;
	*p = d.params;
	return 0;
}

/* param_get_bool(): "Y\n"/"N\n"; param_get_ulong(): "%lu\n". */
FS_SHOW(show_vmem_param)
{
	const char *name = fs_nodes[r->idx].name;
	struct memhp_vmem_drv_params p;
	int ret = vmem_params(fs, &p);

	if (ret)
		return ret;
	if (!strcmp(name, "bbm_block_size"))
		buf_printf(b, "%llu\n", (unsigned long long)p.bbm_block_size);
	else if (!strcmp(name, "bbm_safe_unplug"))
		buf_printf(b, "%c\n", p.bbm_safe_unplug ? 'Y' : 'N');
	else if (!strcmp(name, "force_bbm"))
		buf_printf(b, "%c\n", p.force_bbm ? 'Y' : 'N');
	else
		buf_printf(b, "%c\n", p.unplug_online ? 'Y' : 'N');
	return 0;
}

/* unplug_online (0644): param_set_bool(), kstrtobool() of the value. */
FS_STORE(store_vmem_unplug_online)
{
	bool on;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	memhp_vmem_set_unplug_online(fs->m, on);
	return (ssize_t)len;
}

FS_LINK(link_module_driver)
{
	buf_puts(b, "../../../bus/virtio/drivers/virtio_mem");
}

FS_SHOW(show_module_initstate)
{
	buf_puts(b, "live\n");
	return 0;
}

FS_SHOW(show_module_refcnt)
{
	buf_puts(b, "0\n");
	return 0;
}
