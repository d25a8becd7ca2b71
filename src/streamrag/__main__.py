"""``python -m streamrag``: see :mod:`streamrag.cli`."""

import sys

from .cli import main

sys.exit(main())
