"""The middleware-free node cores of Taishan's graph and the Pipeline that replays them.

Each node core takes converted inputs (core measurement types) by topic and returns outputs and
diagnostics as plain data. The rclpy nodes of the live graph are thin adapters over exactly these
classes; `taishan replay` drives the same classes from a bag in log-time order (DESIGN.md, 1 and 2).
"""
