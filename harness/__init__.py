"""mntbench orchestration: kernel build, VM runner, plans, stats, gate."""
