"""Topic administration that works on Apache Kafka and on the embedded Tansu broker.

Measured on Tansu 0.6.0: `end_offsets()` and `seek_to_end()` report the first
offset of the latest batch + 1, not the end of the partition, while a fetch
response's high watermark (`consumer.highwater(tp)`) is right. So counting
records fetches from the start of each partition and reads the high watermark
instead of asking for end offsets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

__all__ = ["KafkaAdminError", "ensure_topics", "partition_ends", "topic_event_counts"]

_NO_ERROR = 0
_TOPIC_ALREADY_EXISTS = 36


class KafkaAdminError(RuntimeError):
    """A topic could not be created or inspected."""


async def ensure_topics(
    bootstrap: str,
    topics: Sequence[str],
    partitions: int,
    *,
    replication_factor: int = 1,
    client_options: Mapping[str, Any] | None = None,
    max_wait: float = 15.0,
) -> None:
    """Create the topics of `topics` that do not exist yet, with `partitions` partitions.

    Idempotent: an existing topic is left as it is (whatever its partition
    count), and losing a creation race to another process is fine. Returns once
    the broker's metadata lists every topic. `client_options` go to the aiokafka
    client (security settings for a real cluster).
    """
    wanted = list(dict.fromkeys(topics))
    if not wanted:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **dict(client_options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name=name,
                        num_partitions=partitions,
                        replication_factor=replication_factor,
                    )
                    for name in missing
                ],
                timeout_ms=int(max_wait * 1000),
            )
            failures = [
                f"{error[0]}: {for_code(error[1]).__name__}"
                + (f" ({error[2]})" if len(error) > 2 and error[2] else "")
                for error in response.topic_errors
                if error[1] not in (_NO_ERROR, _TOPIC_ALREADY_EXISTS)
            ]
            if failures:
                raise KafkaAdminError("could not create topics: " + "; ".join(failures))
        await _wait_listed(admin, wanted, max_wait)
    finally:
        await admin.close()


async def _wait_listed(admin: AIOKafkaAdminClient, topics: list[str], max_wait: float) -> None:
    # Apache Kafka creates topics asynchronously: the create call can return
    # before every broker's metadata has them.
    deadline = time.monotonic() + max_wait
    while True:
        listed = {
            entry["topic"]: entry
            for entry in await admin.describe_topics(topics)
            if entry["error_code"] == _NO_ERROR
        }
        if all(name in listed and listed[name]["partitions"] for name in topics):
            return
        if time.monotonic() > deadline:
            absent = sorted(set(topics) - set(listed))
            raise KafkaAdminError(f"topics not visible after {max_wait} s: {', '.join(absent)}")
        await asyncio.sleep(0.1)


async def topic_event_counts(
    bootstrap: str,
    topics: Sequence[str],
    *,
    client_options: Mapping[str, Any] | None = None,
    max_wait: float = 30.0,
) -> dict[str, int]:
    """The number of records in each topic (0 for a topic that does not exist):
    high watermark minus earliest offset, summed over its partitions (no
    compaction or transactions on these topics, so every offset in between is
    one record)."""
    counts = dict.fromkeys(topics, 0)
    ends = await partition_ends(bootstrap, topics, client_options=client_options, max_wait=max_wait)
    for tp, (earliest, highwater) in ends.items():
        counts[tp.topic] += highwater - earliest
    return counts


async def partition_ends(
    bootstrap: str,
    topics: Sequence[str],
    *,
    client_options: Mapping[str, Any] | None = None,
    max_wait: float = 30.0,
) -> dict[TopicPartition, tuple[int, int]]:
    """Each partition of the topics that exist: its earliest offset and its end now.

    The end is the high watermark of a fetch response (`end_offsets()` is wrong
    on the embedded broker): every partition is read from its earliest offset,
    by a consumer outside any group, until a fetch has reported it.
    """
    if not topics:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # Only the high watermark matters: keep each fetch small.
        max_partition_fetch_bytes=64 * 1024,
        fetch_max_wait_ms=100,
        **dict(client_options or {}),
    )
    await consumer.start()
    try:
        existing = await consumer.topics()
        partitions: list[TopicPartition] = []
        for topic in topics:
            if topic not in existing:
                continue
            numbers = consumer.partitions_for_topic(topic) or set()
            partitions.extend(TopicPartition(topic, number) for number in sorted(numbers))
        if not partitions:
            return {}
        consumer.assign(partitions)
        earliest: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, earliest[tp])
        ends: dict[TopicPartition, tuple[int, int]] = {}
        deadline = time.monotonic() + max_wait
        pending = set(partitions)
        while pending:
            if time.monotonic() > deadline:
                names = ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(pending))
                raise KafkaAdminError(f"no high watermark within {max_wait} s for {names}")
            await consumer.getmany(*pending, timeout_ms=200)
            for tp in list(pending):
                highwater = consumer.highwater(tp)
                if highwater is not None:
                    ends[tp] = (earliest[tp], highwater)
                    pending.discard(tp)
                    # Stop fetching a partition once its watermark is known.
                    consumer.pause(tp)
        return ends
    finally:
        await consumer.stop()
