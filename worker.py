"""`python worker.py`: the cutover worker (same as `python -m cutover.worker`)."""

from cutover.worker import main

if __name__ == "__main__":
    main()
