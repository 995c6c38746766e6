import sys

from kurtosis_tui.cli import main

sys.exit(main())
