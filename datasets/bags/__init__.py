"""rosbag2 (mcap, sqlite3) and ROS 1 bags on rosbags: a typestore that knows Taishan's extra
interfaces, an atomic writer, a reader that recovers what a damaged bag still holds, and the
conversions and replay built on them."""
