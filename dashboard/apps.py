from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from dashboard.auth_views import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="dashboard-record-lockout")
