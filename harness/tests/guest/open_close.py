#!/usr/bin/python3
"""open()+close() PATH COUNT times: the probed process of check_modes."""
import os
import sys

path, count = sys.argv[1], int(sys.argv[2])
for _ in range(count):
    os.close(os.open(path, os.O_RDONLY))
