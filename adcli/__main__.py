"""`python -m adcli`."""

from adcli.cli import main

main()
