/* SPDX-License-Identifier: MIT */
/* reportcmd: `concbench report FILE.json...`: validate reports and render them. */
#ifndef CONCBENCH_REPORTCMD_H
#define CONCBENCH_REPORTCMD_H

int cmd_report(int argc, char **argv);

#endif
