/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LAYERS_H
#define LAYERS_H

/*
 * The scratch tree, on a private tmpfs; paths are relative to its root,
 * which is the working directory while ovlbench runs:
 *
 *   l/0 .. l/499	lower layers, l/0 on top
 *   u/K, w/K		upper and work dir of mount slot K (--upper only)
 *   m			the overlay the tasks read through (slot 0)
 *   c/T		task T's overlay in teardown and bystander (slot T+1)
 *   v			collateral: the victims' tmpfs, files v/fT
 */
void scratch_setup(void);
void scratch_cleanup(void);
const char *scratch_root(void);
void layers_create(unsigned int nlayers, unsigned int nslots);
void files_place(unsigned int nlayers, unsigned int nfiles);
void files_remove(unsigned int nlayers, unsigned int nfiles);
void victims_setup(unsigned int nfiles);
const char *layer_name(unsigned int nlayers);

#endif
