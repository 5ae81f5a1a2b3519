import sys

from harness.output.export import cli

sys.exit(cli.main())
