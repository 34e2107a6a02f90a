"""`python -m releasekit`: the same command line as the `releasekit` script."""

from releasekit.cli import main

main()
