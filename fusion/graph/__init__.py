"""The middleware-free node cores of Taishan's graph and the Pipeline that replays them.

Each node core (camera, radar, lidar front-ends, ego estimator, tracker) takes inputs by topic and
returns outputs and diagnostics as plain data. `taishan replay` drives these classes from a bag
(Pipeline, in log-time order); the rclpy nodes of the live graph are thin adapters over exactly
the same classes (DESIGN.md, principles 1 and 2). An adapter:
- subscribes to each `node.inputs[topic]` (InputSpec: the message types it decodes; sensor-data QoS
  when `sensor_data`) and calls `node.receive(topic, msg, msgtype, now_ns)`;
- publishes every returned Output on its topic with `node.outputs[topic]` (OutputSpec: message
  type, `encode(types, data)`, latched or not), `types` mapping type names to rclpy classes;
- calls `node.tick(now_ns)` every `node.period_ns` (when set) and publishes what it returns;
- publishes `fusion.messages.diagnostics.from_report` of `node.status(now_ns)` on /diagnostics.
Topic names are fusion.graph.topics' defaults; configs come from fusion.graph.build.GraphConfigs.
"""
