"""The `taishan` command: help lists the subcommands, and errors are reported without a traceback."""
import subprocess
import sys

from fusion.cli import COMMAND_MODULES, build_parser


def test_help_lists_every_subcommand():
    out = subprocess.run([sys.executable, "-m", "fusion", "--help"], capture_output=True, text=True, check=True).stdout
    parser, groups = build_parser()
    top = parser._subparsers._group_actions[0].choices
    assert top, "no subcommands registered"
    for name in top:
        assert name in out
    assert set(groups.benchmarks) <= set(top["bench"]._subparsers._group_actions[0].choices)
    assert len(COMMAND_MODULES) == len(set(COMMAND_MODULES))


def test_every_subcommand_help_shows_defaults():
    parser, _ = build_parser()
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        text = sub.format_help()
        assert text.startswith("usage: taishan " + name)
