"""The events app's tables: rules and the events they raise (rules.py), the outbox and its deliveries
(delivery.py)."""

from events.models.delivery import Delivery, DeliveryAttempt, OutboxMessage, WebhookEndpoint
from events.models.rules import Event, Rule, StreamOutage

__all__ = ["Delivery", "DeliveryAttempt", "Event", "OutboxMessage", "Rule", "StreamOutage", "WebhookEndpoint"]
