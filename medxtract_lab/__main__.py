import sys

from medxtract_lab.cli import main

sys.exit(main())
