"""`python -m analysis`: the command-line interface."""

from analysis.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
