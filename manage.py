#!/usr/bin/env python
"""Django's command-line utility; `qinqing` (the console script) is the same."""

from qinqing.__main__ import main

if __name__ == "__main__":
    main()
