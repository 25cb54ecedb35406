import sys

from fieldcorpus.cli.main import main

sys.exit(main())
