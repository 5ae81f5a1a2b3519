/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RUN_H
#define RUN_H

int run_main(void);

#endif
