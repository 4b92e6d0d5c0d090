"""One module per `taishan` subcommand; see fusion.cli."""
