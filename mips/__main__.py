import sys

from mips.cli import main

sys.exit(main())
