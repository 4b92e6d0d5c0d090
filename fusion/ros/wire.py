"""How the live graph turns messages into CDR bytes and back, per message type.

rclpy's generated Python classes cost most of a hop: every message object builds default values of
all its nested messages before the given ones replace them, and deserializing creates each nested
object twice (default, then filled). For a 100-object TrackedObjects that is 10-20 ms per side.
rosbags' typestore (the replay runtime's, datasets.bags.typestore) builds and (de)serializes the
same messages at a fraction of that. So where rosbags describes a type exactly as the installed
interface package does (the same RIHS01 type hash, which covers every field name and type of the
type and of its nested types), a node publishes the bytes rosbags serializes and subscribes raw,
deserializing with rosbags: the same CDR on the wire, through the same rclpy publishers,
subscriptions, QoS and DDS, and the node cores read the same message objects as in replay.
Otherwise (a ROS 2 without type hashes, before Jazzy; another version of an interface package)
rclpy's own classes and serialization are used.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from rclpy.node import Node
from rclpy.serialization import deserialize_message

from datasets.bags.typestore import default_typestore, message_types
from fusion.messages.header import MessageTypes
from fusion.ros.message_types import ros_type

ROSBAGS, RCLPY = "rosbags", "rclpy"


@dataclass(frozen=True)
class Codec:
    """One message type's way onto and off the wire: `types` builds messages for the fusion.messages
    encoders, `serialize` turns one into what an rclpy publisher takes (CDR bytes or an rclpy
    message), `deserialize` turns received CDR bytes into a message the decoders read."""

    msgtype: str
    kind: str
    types: MessageTypes
    serialize: Callable[[Any], Any]
    deserialize: Callable[[bytes], Any]


def endpoint_type_hash(node: Node, topic_name: str, msgtype: str, publisher: bool) -> str | None:
    """The type hash of `node`'s own publisher or subscription of `msgtype` on the (resolved)
    `topic_name`, as rclpy computed it from the installed type support; None where rclpy has none."""
    infos = (node.get_publishers_info_by_topic if publisher else node.get_subscriptions_info_by_topic)(topic_name)
    for info in infos:
        if info.node_name == node.get_name() and info.node_namespace == node.get_namespace() and info.topic_type == msgtype:
            type_hash = getattr(info, "topic_type_hash", None)
            return str(type_hash) if type_hash is not None else None
    return None


@lru_cache(maxsize=None)
def codec(msgtype: str, installed_hash: str | None) -> Codec:
    """rosbags' codec when its definition of `msgtype` has the installed one's hash, else rclpy's."""
    store = default_typestore()
    if installed_hash and msgtype in store.types and store.hash_rihs01(msgtype) == installed_hash:
        return Codec(msgtype, ROSBAGS, message_types(store), lambda msg: bytes(store.serialize_cdr(msg, msgtype)),
                     lambda raw: store.deserialize_cdr(raw, msgtype))
    cls = ros_type(msgtype)
    return Codec(msgtype, RCLPY, ros_type, lambda msg: msg, lambda raw: deserialize_message(raw, cls))
