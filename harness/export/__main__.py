import sys

from harness.export import cli

sys.exit(cli.main())
