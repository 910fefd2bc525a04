from django.apps import AppConfig


class StreamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "streams"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from streams.audit import record_lockout

        # The lockout goes to the event log; accounts (the login) sits below streams and cannot write it.
        user_locked_out.connect(record_lockout, dispatch_uid="streams-record-lockout")
