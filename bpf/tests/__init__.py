"""Tests of mntlock and the bpftrace scripts (guest boots)."""
