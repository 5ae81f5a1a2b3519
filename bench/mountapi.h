/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MOUNTAPI_H
#define MOUNTAPI_H

#include <stddef.h>

/* One overlay to mount, prepared once so that mounting is just syscalls */
struct ovl_req {
	unsigned int nlayers;
	char upper[16], work[16];	/* empty: no upper layer */
	char target[16];
	char *data;			/* options for mount(2) */
	size_t datalen;
};

void ovl_req_init(struct ovl_req *r, unsigned int nlayers, int slot,
		  const char *target);
void ovl_req_free(struct ovl_req *r);
int ovl_mount(const struct ovl_req *r, char *err, size_t errlen);
const char *ovl_api_name(void);
char *ovl_mode(const char *path);

#endif
