"""`python -m fusion` is the `taishan` command."""
from fusion.cli import main

raise SystemExit(main())
