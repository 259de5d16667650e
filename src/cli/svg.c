// SPDX-License-Identifier: MIT
/*
 * svg.c - a machine's memory map as an SVG picture.
 *
 * One row per memory block (or per run of blocks, when there are too many
 * to draw one each), its label coloured by state and zone; one cell per
 * pageblock (or per group of them), a strip on top for the migratetype and
 * a bar below split by what the pages are: free, free on a per-cpu list,
 * huge (hugetlb or THP), movable, kernel, PageOffline, reserved.
 *
 * Everything is read through the public API, lock-free and racy like a PFN
 * walker's reads: drawing never changes the machine. A free buddy chunk
 * starts with a PageBuddy page and an allocation with a referenced page, so
 * a walk that remembers the last head tells the refcount-0 tails of the
 * two apart without knowing the buddy order. No chunk crosses a max-order
 * boundary, so each max-order region can be classified on its own, which
 * is what lets a huge machine be sampled.
 *
 * A virtio-mem device's region is marked beside the rows it covers, and
 * the cells of its plugged device blocks are outlined; the cells of pages
 * the run's findings are about carry a red mark. Every row and cell has a
 * <title>: viewers show it as a tooltip.
 */
#include "run.h"
#include "run_util.h"

#include <memhp/hugetlb.h>
#include <memhp/virtio_mem.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most rows drawn: more blocks than this are aggregated, and said so. */
#define SVG_MAX_ROWS 128
/* Most cells in a row: bigger blocks put several pageblocks in a cell. */
#define SVG_MAX_COLS 64
/* Pages walked at most; beyond, one max-order region in N is sampled. */
#define SVG_WALK_BUDGET (1UL << 25)

/* Geometry, in pixels. */
#define SVG_MARGIN 16
#define SVG_TITLE_H 54
#define SVG_LABEL_W 380
/* " node7" in the row labels of a machine with several nodes. */
#define SVG_NODE_LABEL_W 44
#define SVG_SWATCH_W 10
#define SVG_CELL_W 13
#define SVG_CELL_GAP 1
#define SVG_ROW_H 18
#define SVG_STRIP_H 3
/* White between the strip and the bar, so that the two never merge. */
#define SVG_STRIP_GAP 1
#define SVG_GAP_ROW_H 14
#define SVG_LEGEND_H 112
/* The device bar left of the cells, and its name right of them. */
#define SVG_DEV_BAR_W 4
#define SVG_DEV_BAR_GAP 2
#define SVG_DEV_LABEL_W 150
/* A finding's mark: a triangle in the cell's top right corner. */
#define SVG_MARK_W 6
/* virtio-mem devices drawn, at most. */
#define SVG_MAX_DEVICES 8
/* One tooltip. */
#define SVG_TIP 512
#define SVG_FONT "font-family=\"DejaVu Sans Mono, monospace\""
#define SVG_TEXT_SIZE 11

enum page_class { PC_FREE, PC_PCP, PC_HUGE, PC_MOVABLE, PC_KERNEL, PC_OFFLINE, PC_RESERVED, PC_NR };

static const struct {
	const char *name, *color;
} page_classes[PC_NR] = {
	/* Bars stack from the bottom in this order: what pins memory first. */
	[PC_KERNEL] = { "kernel (unmovable)", "#d62728" },
	[PC_MOVABLE] = { "movable / LRU", "#1f77b4" },
	[PC_OFFLINE] = { "PageOffline", "#9467bd" },
	[PC_RESERVED] = { "reserved / memmap", "#7f7f7f" },
	[PC_HUGE] = { "huge page (hugetlb/THP)", "#ff9896" },
	[PC_PCP] = { "free (per-cpu list)", "#b8e0b8" },
	[PC_FREE] = { "free (buddy)", "#eeeeee" },
};

static const enum page_class stack_order[PC_NR] = { PC_KERNEL,	 PC_HUGE, PC_MOVABLE, PC_OFFLINE,
						    PC_RESERVED, PC_PCP,  PC_FREE };

static const char *const migratetype_colors[MEMHP_MIGRATE_TYPES] = {
	[MEMHP_MIGRATE_UNMOVABLE] = "#8c1c13",	 [MEMHP_MIGRATE_MOVABLE] = "#2ca02c",
	[MEMHP_MIGRATE_RECLAIMABLE] = "#bcbd22", [MEMHP_MIGRATE_HIGHATOMIC] = "#e377c2",
	[MEMHP_MIGRATE_CMA] = "#9edae5",	 [MEMHP_MIGRATE_ISOLATE] = "#000000",
};

static const char *const zone_colors[MEMHP_NR_ZONES] = {
	[MEMHP_ZONE_DMA] = "#c7b299",
	[MEMHP_ZONE_DMA32] = "#a0785a",
	[MEMHP_ZONE_NORMAL] = "#ff7f0e",
	[MEMHP_ZONE_MOVABLE] = "#17becf",
};
#define SVG_OFFLINE_COLOR "#ffffff"
#define SVG_GOING_OFFLINE_COLOR "#ffd700"
/* A row of several zones (a block spanning two, or blocks aggregated). */
#define SVG_ZONES_COLOR "#cccccc"
#define SVG_DEVICE_COLOR "#e6007e"
#define SVG_FINDING_COLOR "#ff0000"

struct cell {
	unsigned long pages[PC_NR];
	unsigned long mt[MEMHP_MIGRATE_TYPES];
	unsigned int findings; /* about pages of this cell */
	int first_finding;     /* its index in map.findings */
};

struct row {
	unsigned long first_id, nr_blocks;
	bool gap_before; /* blocks are missing before this row */
	uint64_t gap_bytes;
	int state;		/* enum memhp_block_state, or 0: mixed */
	int zone;		/* zone, -1 none, -2 mixed */
	unsigned int zone_mask; /* the zones of its online pages */
	int nid;		/* its blocks' node: a row never spans two */
	struct cell cells[SVG_MAX_COLS];
};

struct svg_device {
	struct memhp_vmem_dev *dev;
	const char *id;
	uint64_t addr, size, block_size;
};

struct map {
	struct memhp_machine *m;
	unsigned long pages_per_block, pageblock_pages, region_pages;
	unsigned long blocks_per_row, cols, pages_per_cell;
	unsigned long stride; /* walk one max-order region in this many */
	bool collapsed;	      /* runs of offline blocks share a row */
	struct row *rows;
	size_t nr_rows;
	struct svg_device devs[SVG_MAX_DEVICES];
	unsigned int nr_devs;
	struct memhp_check_report findings; /* the run's, with their pfns */
	size_t findings_elsewhere;	    /* about pages no row shows */
};

static enum page_class classify(struct memhp_page *p, enum page_class *run)
{
	if (memhp_PageBuddy(p))
		return *run = PC_FREE;
	if (memhp_page_on_pcp_list(p))
		return *run = PC_PCP;
	/* Every page of a compound page, free hugetlb pages in their pool
	 * too: the pool holds them. */
	if (memhp_PageCompound(p))
		return *run = PC_HUGE;
	if (memhp_PageOffline(p))
		return *run = PC_OFFLINE;
	if (memhp_PageReserved(p) || memhp_PageVmemmapSelfHosted(p))
		return *run = PC_RESERVED;
	if (memhp_page_count(p) > 0)
		return *run = memhp_PageLRU(p) || memhp_PageMovable(p) ? PC_MOVABLE : PC_KERNEL;
	/* A tail: of the free chunk or the allocation that began before. */
	return *run;
}

static void walk_block(struct map *mp, struct row *row, unsigned long id, unsigned long block_idx)
{
	const unsigned long start = id * mp->pages_per_block;
	const unsigned long row_pages = mp->blocks_per_row * mp->pages_per_block;

	for (unsigned long r = 0; r < mp->pages_per_block; r += mp->region_pages) {
		unsigned long region = (start + r) / mp->region_pages;
		enum page_class run = PC_FREE;

		if (region % mp->stride)
			continue;
		for (unsigned long i = 0; i < mp->region_pages; i++) {
			unsigned long pfn = start + r + i;
			unsigned long off = block_idx * mp->pages_per_block + r + i;
			struct cell *c = &row->cells[off * mp->cols / row_pages];
			struct memhp_page *p = memhp_pfn_to_online_page(mp->m, pfn);

			if (!p)
				continue;
			c->pages[classify(p, &run)] += mp->stride;
			if (!(pfn % mp->pageblock_pages)) {
				int mt = memhp_pfn_migratetype(mp->m, pfn);

				row->zone_mask |= 1u << memhp_page_zonenum(p);
				if (mt >= 0 && mt < MEMHP_MIGRATE_TYPES)
					c->mt[mt]++;
			}
		}
	}
}

/*
 * Lay the blocks out in rows of @per_row, a run of offline blocks in one row
 * when @collapse is set (they have nothing to show). Returns the number of
 * rows; fills mp->rows (and walks the pages) only when @fill is set.
 */
static size_t lay_out(struct map *mp, unsigned long per_row, bool collapse, bool fill)
{
	unsigned long prev_id = 0;
	struct row *row = NULL, dry;
	size_t nr_rows = 0;
	bool first = true;

	for (long id = memhp_next_block(mp->m, 0); id >= 0;
	     id = memhp_next_block(mp->m, (unsigned long)id + 1)) {
		struct memhp_block_info bi;
		bool gap = !first && (unsigned long)id != prev_id + 1;
		bool offline;

		if (memhp_block_info(mp->m, (unsigned long)id, &bi))
			continue;
		offline = bi.state == MEMHP_MEM_OFFLINE;
		if (!row || gap || (offline != (row->state == MEMHP_MEM_OFFLINE) && collapse) ||
		    (row->nr_blocks == per_row && !(collapse && offline)) || row->nid != bi.nid) {
			row = fill ? &mp->rows[nr_rows] : &dry;
			nr_rows++;
			memset(row, 0, sizeof(*row));
			row->first_id = (unsigned long)id;
			row->state = bi.state;
			row->zone = bi.zone;
			row->nid = bi.nid;
			row->gap_before = gap;
			row->gap_bytes =
				gap ? ((unsigned long)id - prev_id - 1) * memhp_block_size(mp->m)
				    : 0;
		}
		if (row->state != (int)bi.state)
			row->state = 0;
		if (row->zone != bi.zone)
			row->zone = -2;
		if (fill && !offline)
			walk_block(mp, row, (unsigned long)id, row->nr_blocks);
		row->nr_blocks++;
		prev_id = (unsigned long)id;
		first = false;
	}
	return nr_rows;
}

static void find_devices(struct map *mp)
{
	struct memhp_vmem_dev *devs[SVG_MAX_DEVICES];
	unsigned int n = memhp_vmem_devices(mp->m, devs, SVG_MAX_DEVICES);

	mp->nr_devs = n < SVG_MAX_DEVICES ? n : SVG_MAX_DEVICES;
	for (unsigned int i = 0; i < mp->nr_devs; i++) {
		const struct memhp_vmem_dev_config *c = memhp_vmem_dev_get_config(devs[i]);

		mp->devs[i] = (struct svg_device){ .dev = devs[i],
						   .id = c->id ? c->id : "?",
						   .addr = c->addr,
						   .size = c->region_size,
						   .block_size = c->block_size };
	}
}

/* Whether @row's cells stand for pages (not a run of offline blocks). */
static bool row_has_cells(const struct map *mp, const struct row *row)
{
	return row->nr_blocks <= mp->blocks_per_row;
}

static unsigned long row_first_pfn(const struct map *mp, const struct row *row)
{
	return row->first_id * mp->pages_per_block;
}

/* The run's findings, each on the cell of its page. */
static void place_findings(struct map *mp)
{
	size_t shown;

	memhp_violations(mp->m, &mp->findings);
	shown = mp->findings.shown < MEMHP_CHECK_MAX_REPORTED ? mp->findings.shown
							      : MEMHP_CHECK_MAX_REPORTED;
	for (size_t i = 0; i < shown; i++) {
		const unsigned long pfn = mp->findings.v[i].pfn;
		bool placed = false;

		if (pfn == MEMHP_NO_PFN)
			continue;
		for (size_t r = 0; r < mp->nr_rows && !placed; r++) {
			struct row *row = &mp->rows[r];
			const unsigned long first = row_first_pfn(mp, row);

			struct cell *c;

			if (!row_has_cells(mp, row) || pfn < first ||
			    pfn >= first + row->nr_blocks * mp->pages_per_block)
				continue;
			c = &row->cells[(pfn - first) / mp->pages_per_cell];
			if (!c->findings++)
				c->first_finding = (int)i;
			placed = true;
		}
		mp->findings_elsewhere += !placed;
	}
}

static int build(struct map *mp)
{
	unsigned long nr_blocks = memhp_nr_blocks(mp->m), online_pages = 0, row_pages;
	bool collapse = false;
	size_t nr_rows;

	mp->pages_per_block = memhp_pages_per_block(mp->m);
	mp->pageblock_pages = memhp_pageblock_nr_pages(mp->m);
	mp->region_pages = 1UL << memhp_max_order(mp->m);
	if (mp->region_pages > mp->pages_per_block)
		mp->region_pages = mp->pages_per_block;
	for (long id = memhp_next_block(mp->m, 0); id >= 0;
	     id = memhp_next_block(mp->m, (unsigned long)id + 1)) {
		struct memhp_block_info bi;

		if (!memhp_block_info(mp->m, (unsigned long)id, &bi) &&
		    bi.state != MEMHP_MEM_OFFLINE)
			online_pages += mp->pages_per_block;
	}
	mp->stride = (online_pages + SVG_WALK_BUDGET - 1) / SVG_WALK_BUDGET;
	if (!mp->stride)
		mp->stride = 1;

	/* One row per block while they fit; then offline runs collapse and
	 * the rest aggregate, as few blocks per row as will fit; failing that
	 * (offline and online blocks alternate), plain aggregation. */
	mp->blocks_per_row = 1;
	nr_rows = lay_out(mp, 1, false, false);
	if (nr_rows > SVG_MAX_ROWS) {
		collapse = true;
		while ((nr_rows = lay_out(mp, mp->blocks_per_row, true, false)) > SVG_MAX_ROWS &&
		       mp->blocks_per_row < nr_blocks)
			mp->blocks_per_row *= 2;
		if (nr_rows > SVG_MAX_ROWS) {
			collapse = false;
			mp->blocks_per_row = (nr_blocks + SVG_MAX_ROWS - 1) / SVG_MAX_ROWS;
			nr_rows = lay_out(mp, mp->blocks_per_row, false, false);
		}
	}
	mp->collapsed = collapse;
	row_pages = mp->blocks_per_row * mp->pages_per_block;
	mp->cols = row_pages / mp->pageblock_pages;
	if (mp->cols > SVG_MAX_COLS)
		mp->cols = SVG_MAX_COLS;
	if (!mp->cols)
		mp->cols = 1;
	mp->pages_per_cell = row_pages / mp->cols;
	mp->rows = calloc(nr_rows + 1, sizeof(*mp->rows));
	if (!mp->rows)
		return -ENOMEM;
	mp->nr_rows = lay_out(mp, mp->blocks_per_row, collapse, true);
	find_devices(mp);
	place_findings(mp);
	return 0;
}

/* ---- Drawing ------------------------------------------------------------------------ */

static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const char *state_name(int state)
{
	switch (state) {
	case MEMHP_MEM_ONLINE:
		return "online";
	case MEMHP_MEM_OFFLINE:
		return "offline";
	case MEMHP_MEM_GOING_OFFLINE:
		return "going-offline";
	}
	return "mixed";
}

static const char *row_color(const struct row *row)
{
	if (row->state == MEMHP_MEM_OFFLINE)
		return SVG_OFFLINE_COLOR;
	if (row->state == MEMHP_MEM_GOING_OFFLINE)
		return SVG_GOING_OFFLINE_COLOR;
	if (row->zone >= 0 && row->zone < MEMHP_NR_ZONES)
		return zone_colors[row->zone];
	return SVG_ZONES_COLOR;
}

/* "Movable", or the zones a row's pages are in: "DMA/DMA32". */
static const char *zone_label(const struct row *row, char *buf, size_t len)
{
	buf[0] = '\0';
	if (row->zone >= 0)
		return memhp_zone_name((enum memhp_zone_type)row->zone);
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		if (row->zone_mask & (1u << z))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "/" : "",
				 memhp_zone_name((enum memhp_zone_type)z));
	return buf;
}

static const struct svg_device *device_at(const struct map *mp, uint64_t addr)
{
	for (unsigned int i = 0; i < mp->nr_devs; i++)
		if (addr >= mp->devs[i].addr && addr - mp->devs[i].addr < mp->devs[i].size)
			return &mp->devs[i];
	return NULL;
}

/* The device blocks of @d in [start, start + bytes): how many, how many plugged. */
static void plugged_in(const struct svg_device *d, uint64_t start, uint64_t bytes,
		       unsigned long *plugged, unsigned long *total)
{
	uint64_t end = start + bytes;

	*plugged = *total = 0;
	if (start < d->addr)
		start = d->addr;
	if (end > d->addr + d->size)
		end = d->addr + d->size;
	for (uint64_t a = start; a < end; a += d->block_size) {
		(*total)++;
		*plugged += memhp_vmem_dev_block_plugged(d->dev, (a - d->addr) / d->block_size);
	}
}

/* A cell's tooltip: its pages, what they are, its device blocks, findings. */
static void cell_tip(const struct map *mp, const struct row *row, unsigned long col,
		     const struct cell *c, int best_mt, char *tip, size_t len)
{
	const unsigned long pfn = row_first_pfn(mp, row) + col * mp->pages_per_cell;
	const uint64_t start = (uint64_t)pfn * MEMHP_PAGE_SIZE;
	const struct svg_device *d = device_at(mp, start);
	char range[RUN_RANGE_STR];

	snprintf(tip, len, "memory%lu %s, pfn 0x%lx-0x%lx",
		 (unsigned long)(pfn / mp->pages_per_block),
		 run_fmt_range(start, (uint64_t)mp->pages_per_cell * MEMHP_PAGE_SIZE, range), pfn,
		 pfn + mp->pages_per_cell - 1);
	snprintf(tip + strlen(tip), len - strlen(tip),
		 "\npages%s: %lu free, %lu movable, %lu kernel, %lu PageOffline, %lu reserved",
		 mp->stride > 1 ? " (sampled)" : "", c->pages[PC_FREE], c->pages[PC_MOVABLE],
		 c->pages[PC_KERNEL], c->pages[PC_OFFLINE], c->pages[PC_RESERVED]);
	if (best_mt >= 0)
		snprintf(tip + strlen(tip), len - strlen(tip), "\npageblock: %s",
			 memhp_migratetype_name(best_mt));
	if (d) {
		unsigned long plugged, total;

		plugged_in(d, start, (uint64_t)mp->pages_per_cell * MEMHP_PAGE_SIZE, &plugged,
			   &total);
		snprintf(tip + strlen(tip), len - strlen(tip),
			 "\nvirtio-mem %s: %lu of %lu device block%s plugged", d->id, plugged,
			 total, total == 1 ? "" : "s");
	}
	if (c->findings) {
		const struct memhp_violation *v = &mp->findings.v[c->first_finding];

		snprintf(tip + strlen(tip), len - strlen(tip), "\n%s at pfn 0x%lx: %s", v->name,
			 v->pfn, v->detail);
		if (c->findings > 1)
			snprintf(tip + strlen(tip), len - strlen(tip), " (and %u more)",
				 c->findings - 1);
	}
}

/* A device's plugged blocks outlined (dashed: some of the cell's); a
 * finding's red corner. */
static void draw_marks(FILE *f, const struct map *mp, const struct row *row, unsigned long col,
		       int x, int y)
{
	const uint64_t start =
		(uint64_t)(row_first_pfn(mp, row) + col * mp->pages_per_cell) * MEMHP_PAGE_SIZE;
	const struct svg_device *d = device_at(mp, start);

	if (d) {
		unsigned long plugged, total;

		plugged_in(d, start, (uint64_t)mp->pages_per_cell * MEMHP_PAGE_SIZE, &plugged,
			   &total);
		if (plugged)
			fprintf(f,
				"<rect class=\"plugged\" x=\"%.1f\" y=\"%.1f\" width=\"%d\" "
				"height=\"%d\" fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"1\"%s/>\n",
				x + 0.5, y + 0.5, SVG_CELL_W - 1, SVG_ROW_H - SVG_CELL_GAP - 1,
				SVG_DEVICE_COLOR,
				plugged < total ? " stroke-dasharray=\"2,1\"" : "");
	}
	if (row->cells[col].findings)
		fprintf(f, "<path class=\"finding\" d=\"M%d,%d h%d v%d z\" fill=\"%s\"/>\n",
			x + SVG_CELL_W - SVG_MARK_W, y, SVG_MARK_W, SVG_MARK_W, SVG_FINDING_COLOR);
}

static void draw_cell(FILE *f, const struct map *mp, const struct row *row, unsigned long col,
		      int x, int y)
{
	const struct cell *c = &row->cells[col];
	const int bar_h = SVG_ROW_H - SVG_CELL_GAP - SVG_STRIP_H - SVG_STRIP_GAP;
	unsigned long total = 0, best_n = 0;
	int best = -1, yy = y + SVG_ROW_H - SVG_CELL_GAP;

	for (int i = 0; i < PC_NR; i++)
		total += c->pages[i];
	for (int t = 0; t < MEMHP_MIGRATE_TYPES; t++) {
		/* An isolated pageblock is what one looks for: it wins. */
		if (c->mt[t] && (t == MEMHP_MIGRATE_ISOLATE || c->mt[t] > best_n) &&
		    best != MEMHP_MIGRATE_ISOLATE) {
			best = t;
			best_n = c->mt[t];
		}
	}
	if (!total) {
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			"fill=\"url(#holes)\"><title>not online</title></rect>\n",
			x, y, SVG_CELL_W, SVG_ROW_H - SVG_CELL_GAP);
		return;
	}
	{
		char tip[SVG_TIP];

		cell_tip(mp, row, col, c, best, tip, sizeof(tip));
		fputs("<g><title>", f);
		put_escaped(f, tip);
		fputs("</title>\n", f);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x, y,
		SVG_CELL_W, SVG_STRIP_H, best >= 0 ? migratetype_colors[best] : "#ffffff");
	/* Stack from the bottom; rounding goes to the free part on top. */
	for (int i = 0; i < PC_NR; i++) {
		enum page_class pc = stack_order[i];
		int h = pc == PC_FREE
				? yy - (y + SVG_STRIP_H + SVG_STRIP_GAP)
				: (int)((c->pages[pc] * (unsigned long)bar_h + total / 2) / total);

		if (h <= 0)
			continue;
		yy -= h;
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", x,
			yy, SVG_CELL_W, h, page_classes[pc].color);
	}
	draw_marks(f, mp, row, col, x, y);
	fputs("</g>\n", f);
}

static void legend_box(FILE *f, int x, int y, const char *color, const char *text)
{
	fprintf(f,
		"<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#555\" "
		"stroke-width=\"0.5\"/>\n",
		x, y, color);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s>%s</text>\n", x + 16, y + 10,
		SVG_TEXT_SIZE, SVG_FONT, text);
}

static void draw_legend(FILE *f, int x, int y)
{
	int yy, ly;

	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"bold\" %s>block: state "
		"and zone</text>\n",
		x, y, SVG_TEXT_SIZE, SVG_FONT);
	yy = y + 8;
	for (int z = 0; z < MEMHP_NR_ZONES; z++)
		legend_box(f, x + (z % 2) * 130, yy + (z / 2) * 16, zone_colors[z],
			   memhp_zone_name((enum memhp_zone_type)z));
	legend_box(f, x, yy + 32, SVG_OFFLINE_COLOR, "offline");
	legend_box(f, x + 130, yy + 32, SVG_GOING_OFFLINE_COLOR, "going-offline");
	legend_box(f, x, yy + 48, SVG_ZONES_COLOR, "several zones");
	legend_box(f, x + 130, yy + 48, SVG_DEVICE_COLOR, "virtio-mem region");

	x += 290;
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"bold\" %s>pages (bar, "
		"bottom up)</text>\n",
		x, y, SVG_TEXT_SIZE, SVG_FONT);
	for (int i = 0; i < PC_NR; i++) {
		enum page_class pc = stack_order[i];

		legend_box(f, x + (i % 2) * 160, yy + (i / 2) * 16, page_classes[pc].color,
			   page_classes[pc].name);
	}
	legend_box(f, x + (PC_NR % 2) * 160, yy + (PC_NR / 2) * 16, "url(#holes)", "not online");
	ly = yy + (PC_NR / 2 + 1) * 16;
	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"11\" height=\"11\" fill=\"none\" "
		"stroke=\"%s\" stroke-width=\"1\"/>\n",
		x + 0.5, ly + 0.5, SVG_DEVICE_COLOR);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s>plugged (virtio-mem)</text>\n",
		x + 16, ly + 10, SVG_TEXT_SIZE, SVG_FONT);
	fprintf(f, "<path d=\"M%d,%d h%d v%d z\" fill=\"%s\"/>\n", x + 160 + 12 - SVG_MARK_W, ly,
		SVG_MARK_W, SVG_MARK_W, SVG_FINDING_COLOR);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s>a finding's page</text>\n", x + 176,
		ly + 10, SVG_TEXT_SIZE, SVG_FONT);

	x += 350;
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"%d\" font-weight=\"bold\" %s>pageblock "
		"migratetype (strip on top)</text>\n",
		x, y, SVG_TEXT_SIZE, SVG_FONT);
	for (int t = 0; t < MEMHP_MIGRATE_TYPES; t++)
		legend_box(f, x + (t % 2) * 130, yy + (t / 2) * 16, migratetype_colors[t],
			   memhp_migratetype_name(t));
}

/* A row's tooltip: its range, state, zones, and valid_zones for one block. */
static void row_tip(const struct map *mp, const struct row *row, uint64_t start, uint64_t bytes,
		    const char *zones, FILE *f)
{
	char range[RUN_RANGE_STR], tip[SVG_TIP], buf[MEMHP_SYSFS_BUF];

	if (row->nr_blocks == 1)
		snprintf(tip, sizeof(tip), "memory%lu", row->first_id);
	else
		snprintf(tip, sizeof(tip), "memory%lu-%lu", row->first_id,
			 row->first_id + row->nr_blocks - 1);
	snprintf(tip + strlen(tip), sizeof(tip) - strlen(tip), " %s, %s",
		 run_fmt_range(start, bytes, range), state_name(row->state));
	if (zones[0] || row->zone >= 0)
		snprintf(tip + strlen(tip), sizeof(tip) - strlen(tip), ", %s",
			 row->zone >= 0 ? memhp_zone_name((enum memhp_zone_type)row->zone) : zones);
	if (memhp_nr_node_ids(mp->m) > 1)
		snprintf(tip + strlen(tip), sizeof(tip) - strlen(tip), ", node %d", row->nid);
	if (row->nr_blocks == 1) {
		ssize_t n = memhp_show_valid_zones(mp->m, row->first_id, buf);

		if (n > 0)
			snprintf(tip + strlen(tip), sizeof(tip) - strlen(tip),
				 "\nvalid_zones: %.*s", (int)(buf[n - 1] == '\n' ? n - 1 : n), buf);
	}
	put_escaped(f, tip);
}

static void draw(FILE *f, const struct map *mp, const char *title)
{
	const int cells_x =
		SVG_MARGIN + SVG_LABEL_W + (memhp_nr_node_ids(mp->m) > 1 ? SVG_NODE_LABEL_W : 0);
	const int cells_end = cells_x + (int)mp->cols * (SVG_CELL_W + SVG_CELL_GAP);
	const int width = cells_end + (mp->nr_devs ? SVG_DEV_LABEL_W : 0) + SVG_MARGIN;
	const int legend_w = 1000;
	int height = SVG_MARGIN + SVG_TITLE_H, y;
	char a[RUN_SIZE_STR], b[RUN_SIZE_STR], c[RUN_SIZE_STR], d[RUN_SIZE_STR];
	char range[RUN_RANGE_STR];
	const struct svg_device *prev_dev = NULL;
	struct memhp_meminfo mi;
	const int w = width > legend_w + 2 * SVG_MARGIN ? width : legend_w + 2 * SVG_MARGIN;

	for (size_t i = 0; i < mp->nr_rows; i++)
		height += SVG_ROW_H + (mp->rows[i].gap_before ? SVG_GAP_ROW_H : 0);
	height += SVG_LEGEND_H + SVG_MARGIN;
	memhp_meminfo(mp->m, &mi);

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n",
		w, height, w, height);
	fputs("<defs><pattern id=\"holes\" width=\"4\" height=\"4\" "
	      "patternUnits=\"userSpaceOnUse\">"
	      "<rect width=\"4\" height=\"4\" fill=\"#ffffff\"/>"
	      "<path d=\"M0,4 L4,0\" stroke=\"#bbbbbb\" stroke-width=\"0.8\"/></pattern></defs>\n",
	      f);
	fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, height);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\" %s>memory map: ",
		SVG_MARGIN, SVG_MARGIN + 12, SVG_FONT);
	put_escaped(f, title);
	fputs("</text>\n", f);
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s>MemTotal %s, MemFree %s, present %s; "
		"protocol %s</text>\n",
		SVG_MARGIN, SVG_MARGIN + 30, SVG_TEXT_SIZE, SVG_FONT,
		run_fmt_size((uint64_t)mi.total_pages * MEMHP_PAGE_SIZE, a),
		run_fmt_size((uint64_t)mi.free_pages * MEMHP_PAGE_SIZE, b),
		run_fmt_size((uint64_t)mi.present_pages * MEMHP_PAGE_SIZE, c),
		memhp_machine_protocol(mp->m) == MEMHP_PROTOCOL_2025 ? "2025" : "6.1");
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s%s>1 row = %lu block%s (%s); "
		"1 cell = %s%s%s</text>\n",
		SVG_MARGIN, SVG_MARGIN + 46, SVG_TEXT_SIZE, SVG_FONT,
		mp->blocks_per_row > 1 || mp->collapsed ? " fill=\"#b00000\"" : "",
		mp->blocks_per_row, mp->blocks_per_row == 1 ? "" : "s",
		run_fmt_size((uint64_t)mp->blocks_per_row * memhp_block_size(mp->m), a),
		run_fmt_size((uint64_t)mp->pages_per_cell * MEMHP_PAGE_SIZE, d),
		mp->blocks_per_row > 1
			? ": too many blocks to draw one per row, rows aggregate them"
		: mp->collapsed ? ": too many blocks to draw one per row, offline runs share one"
				: "",
		mp->stride > 1 ? "; pages sampled" : "");
	if (mp->findings.nr)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"%s\" %s>%zu finding%s "
			"during the run: their pages are marked%s</text>\n",
			cells_x, SVG_MARGIN + 46, SVG_TEXT_SIZE, SVG_FINDING_COLOR, SVG_FONT,
			mp->findings.nr, mp->findings.nr == 1 ? "" : "s",
			mp->findings_elsewhere ? " (some were about memory no longer present)"
					       : "");
	if (mp->stride > 1)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" font-size=\"%d\" %s>(one max-order region in %lu "
			"walked)</text>\n",
			width - SVG_MARGIN - 260, SVG_MARGIN + 30, SVG_TEXT_SIZE, SVG_FONT,
			mp->stride);

	y = SVG_MARGIN + SVG_TITLE_H;
	for (size_t i = 0; i < mp->nr_rows; i++) {
		const struct row *row = &mp->rows[i];
		char label[RUN_ERR_MAX], ids[RUN_SIZE_STR * 2], zones[RUN_SIZE_STR * 2];
		uint64_t start = (uint64_t)row->first_id * memhp_block_size(mp->m);
		const uint64_t bytes = (uint64_t)row->nr_blocks * memhp_block_size(mp->m);
		const struct svg_device *dev = NULL;

		if (row->gap_before) {
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"#888\" %s>"
				"&#8942; %s not present</text>\n",
				SVG_MARGIN + SVG_SWATCH_W + 4, y + SVG_GAP_ROW_H - 3,
				SVG_TEXT_SIZE - 1, SVG_FONT, run_fmt_size(row->gap_bytes, a));
			y += SVG_GAP_ROW_H;
		}
		if (row->nr_blocks == 1)
			snprintf(ids, sizeof(ids), "memory%lu", row->first_id);
		else
			snprintf(ids, sizeof(ids), "memory%lu-%lu", row->first_id,
				 row->first_id + row->nr_blocks - 1);
		/* A block spanning zones has none of its own (mem->zone NULL):
		 * it shows the zones of its pages. */
		snprintf(label, sizeof(label), "%-15s 0x%09" PRIx64 " %-13s %s", ids, start,
			 state_name(row->state), zone_label(row, zones, sizeof(zones)));
		/* With several nodes, each row says its node, as lsmem -o +NODE. */
		if (memhp_nr_node_ids(mp->m) > 1)
			snprintf(label + strlen(label), sizeof(label) - strlen(label), " node%d",
				 row->nid);
		if (row->nr_blocks > mp->blocks_per_row)
			snprintf(label + strlen(label), sizeof(label) - strlen(label), "(%s)",
				 run_fmt_size(row->nr_blocks * memhp_block_size(mp->m), a));
		fputs("<g><title>", f);
		row_tip(mp, row, start, bytes, zones, f);
		fputs("</title>\n", f);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
			"stroke=\"#555\" stroke-width=\"0.5\"/>\n",
			SVG_MARGIN, y, SVG_SWATCH_W, SVG_ROW_H - SVG_CELL_GAP - 1, row_color(row));
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"%d\" xml:space=\"preserve\" %s>",
			SVG_MARGIN + SVG_SWATCH_W + 4, y + SVG_ROW_H - 5, SVG_TEXT_SIZE, SVG_FONT);
		put_escaped(f, label);
		fputs("</text></g>\n", f);
		/* The device whose region the row is in: a bar, and its name once. */
		for (unsigned int k = 0; k < mp->nr_devs; k++)
			if (start < mp->devs[k].addr + mp->devs[k].size &&
			    mp->devs[k].addr < start + bytes)
				dev = &mp->devs[k];
		if (dev) {
			fprintf(f,
				"<rect class=\"virtio-mem\" x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"%s\"><title>virtio-mem %s: region ",
				cells_x - SVG_DEV_BAR_GAP - SVG_DEV_BAR_W, y, SVG_DEV_BAR_W,
				SVG_ROW_H - SVG_CELL_GAP, SVG_DEVICE_COLOR, dev->id);
			put_escaped(f, run_fmt_range(dev->addr, dev->size, range));
			fputs("</title></rect>\n", f);
			if (dev != prev_dev) {
				fprintf(f,
					"<text x=\"%d\" y=\"%d\" font-size=\"%d\" fill=\"%s\" "
					"%s>virtio-mem ",
					cells_end + 4, y + SVG_ROW_H - 5, SVG_TEXT_SIZE,
					SVG_DEVICE_COLOR, SVG_FONT);
				put_escaped(f, dev->id);
				fputs("</text>\n", f);
			}
		}
		prev_dev = dev;
		for (unsigned long col = 0; col < mp->cols; col++)
			draw_cell(f, mp, row, col, cells_x + (int)col * (SVG_CELL_W + SVG_CELL_GAP),
				  y);
		y += SVG_ROW_H;
	}
	draw_legend(f, SVG_MARGIN, y + 24);
	fputs("</svg>\n", f);
}

int svg_write(struct memhp_machine *m, const char *path, const char *title)
{
	struct map mp = { .m = m };
	FILE *f;
	int ret = build(&mp);

	if (ret) {
		fprintf(stderr, "%s: the memory map needs more memory than there is\n", run_prog);
		return ret;
	}
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
		fprintf(stderr, "%s: cannot write the memory map to %s: %s\n", run_prog, path,
			strerror(errno));
		free(mp.rows);
		return ret;
	}
	draw(f, &mp, title);
	if (fclose(f)) {
		ret = -errno;
		fprintf(stderr, "%s: writing the memory map to %s failed: %s\n", run_prog, path,
			strerror(errno));
	}
	free(mp.rows);
	return ret;
}
