import sys

from leadorch.app.cli import main

sys.exit(main())
