"""The AMQP side of the wire (aio-pika): connection, topology, client, consumer, events."""
