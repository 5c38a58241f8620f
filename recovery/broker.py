"""The Redis broker transport Celery uses (``CELERY_BROKER_TRANSPORT``)."""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class _RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, but a channel whose connection was released says so.

    On a lost connection Celery's consumer releases the old connection's transport, then
    closes it, and a task that was running when the connection dropped is acknowledged (or,
    cancelled, rejected) on its old channel later. With kombu 5.7.0 each of those reaches
    ``_connparams`` on a transport whose ``client`` is None and raises AttributeError, which
    Celery does not expect: the close skips the rest of Celery's handler (cancelling running
    tasks) and the late acknowledgement ends the worker ("Unrecoverable error"). Raising
    Redis's ConnectionError instead is what every other dead-broker path raises, so Celery's
    own handling applies: the close is ignored, the running task is cancelled, and the
    acknowledgement is logged as "Couldn't ack" and dropped. The message goes back to the
    queue (kombu restores unacknowledged messages when it can, or after the visibility
    timeout), harmlessly: deliveries are idempotent, and the sweep re-drives the pending ones.
    tests/recovery/test_faults.py restarts Redis under a worker mid-task. Celery 5.7.0 and
    kombu 5.7.0 (the newest releases) still have it; drop this once kombu does.
    """

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise RedisConnectionError("this broker connection was released after it was lost")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with :class:`_RedisChannel` (``CELERY_BROKER_TRANSPORT``)."""

    Channel = _RedisChannel
