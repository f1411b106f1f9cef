"""``python -m fastgmm``: the command line (see ``fastgmm.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
