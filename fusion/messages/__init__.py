"""ROS message <-> core conversion, in one place.

Every function here reads messages by their field names only, so the same code serves rclpy's
generated classes (live graph) and rosbags' dataclasses (bag replay). Encoders take a `types`
callable that maps a ROS type name such as 'sensor_msgs/msg/PointCloud2' to its class (e.g.
`typestore.types.__getitem__` for rosbags, or an importlib lookup for rclpy).
"""
