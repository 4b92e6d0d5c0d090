"""The `main()` of every Taishan ROS node: init, spin, and a clean end.

SIGINT and SIGTERM (Ctrl-C, `ros2 launch` or `taishan launch` stopping the graph) shut rclpy's
context down; spinning then ends and the node exits 0 without a traceback. A configuration problem
(bad parameter, unreadable vehicle config) is printed as the ConfigError says it and exits 2.
"""
from __future__ import annotations

import gc
import sys
from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node

from fusion.core.errors import TaishanError

EXIT_CONFIG_ERROR = 2


def run_node(make: Callable[[], Node], argv: list[str] | None = None) -> int:
    """Create the node with `make()` after rclpy.init(argv) and spin it until shutdown."""
    argv = sys.argv if argv is None else argv
    rclpy.init(args=argv)
    node = None
    try:
        node = make()
        gc.freeze()   # what exists now lives as long as the node: full collections need not walk it (else 50-200 ms stalls)
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except TaishanError as exc:
        print(f"{argv[0] if argv else 'taishan node'}: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
