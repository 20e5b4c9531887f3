"""`python -m letterbox`: the same command as the `letterbox` console script."""

from letterbox.cli import main

main()
