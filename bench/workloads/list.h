/* SPDX-License-Identifier: GPL-2.0 */
/* The workloads, in --help order: one WL(name) per workloads/name.c */
WL(open_close)
WL(open_close_shared)
WL(open_read_close)
WL(stat)
WL(teardown)
WL(bystander)
