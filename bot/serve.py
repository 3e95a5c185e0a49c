"""`python -m bot.serve`: the same as `faqbot serve` (bot.ops.serve)."""

import sys

from bot.ops.serve import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m bot.serve"))
