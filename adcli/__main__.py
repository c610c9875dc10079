"""`python -m adcli`."""

from adcli.cli.app import main

main()
