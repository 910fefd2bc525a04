from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and alerts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from analytics.signals import counts_recorded
        from events import hooks
        from streams.models import Stream
        from streams.signals import status_changed

        status_changed.connect(hooks.on_stream_status_changed, dispatch_uid="events.stream_status")
        counts_recorded.connect(hooks.on_counts_recorded, dispatch_uid="events.counts_recorded")
        post_delete.connect(hooks.on_stream_deleted, sender=Stream, dispatch_uid="events.stream_deleted")
        post_delete.connect(hooks.on_event_deleted, sender="events.Event", dispatch_uid="events.event_deleted")
