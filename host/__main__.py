"""``python -m host`` runs the tinyprune CLI."""

from host.cli import main

main()
