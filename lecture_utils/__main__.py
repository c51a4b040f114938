"""Command line: `python -m lecture_utils run --help`."""

import sys

from lecture_utils.course.cli import main

sys.exit(main())
