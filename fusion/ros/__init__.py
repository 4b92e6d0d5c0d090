"""The live ROS 2 graph: thin rclpy adapters around the node cores of fusion.graph.

One module per node (camera_node, radar_node, lidar_node, ego_node, tracker_node, and fusion_node
hosting the front-ends and the tracker in one process, each with a `main` that setup.py exposes as
`taishan_<name>_node` for `ros2 run taishan ...`), the shared adapter (adapter.CoreNode), how
messages become bytes and back (wire), parameters derived from the config schemas
(parameter_schema, parameters), QoS (qos) and the clean start and stop of a node (runtime). Only
these modules import rclpy; the cores and the message conversions (fusion.messages) never do.
"""
