"""Admin for the events app: rules, events (acknowledge), webhook endpoints (the secret shown once, rotate, send a
test event; only superusers may allow private targets), the outbox and the deliveries with their attempts
(replay). Writes go through the services, as in the pages and the API."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.roles import Role, has_role
from events import endpoints, services
from events.models import Delivery, DeliveryAttempt, Event, OutboxMessage, Rule, StreamOutage, WebhookEndpoint


def _fail(admin_site: admin.ModelAdmin, request: HttpRequest, error: ValidationError) -> None:
    admin_site.message_user(request, "; ".join(error.messages), level=messages.ERROR)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "stream", "kind", "classes", "zone", "line", "min_score", "min_duration_s", "cooldown_s",
                    "enabled")  # fmt: skip
    list_filter = ("kind", "enabled", "stream")
    search_fields = ("name", "stream__name")

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - admin API
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name != "stream"}
        actor = request.user.get_username()
        if change:
            services.rule_update(rule=Rule.objects.get(pk=obj.pk), actor=actor, **fields)
        else:
            obj.pk = services.rule_create(stream=form.cleaned_data["stream"], actor=actor, **fields).pk

    def delete_model(self, request, obj) -> None:  # noqa: ANN001
        services.rule_delete(rule=obj, actor=request.user.get_username())


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("started_at", "stream", "rule_name", "kind", "class_name", "tracker_id", "best_score", "ended_at",
                    "end_reason", "acknowledged_by")  # fmt: skip
    list_filter = ("kind", "stream", "class_name")
    date_hierarchy = "started_at"
    readonly_fields = [*(field.name for field in Event._meta.fields), "in_zones"]
    actions = ("acknowledge",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - events come from rules, not from typing
        return False

    @admin.action(description="Acknowledge the selected events")
    def acknowledge(self, request, queryset) -> None:  # noqa: ANN001
        for event in queryset:
            services.event_acknowledge(event=event, actor=request.user.get_username())
        self.message_user(request, f"{queryset.count()} event(s) acknowledged.")


@admin.register(StreamOutage)
class StreamOutageAdmin(admin.ModelAdmin):
    list_display = ("stream", "started_at", "ended_at", "reason", "end_reason")
    list_filter = ("stream",)
    readonly_fields = ("stream", "started_at", "ended_at", "reason", "end_reason")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "stream", "enabled", "disabled_reason", "allow_private")
    list_filter = ("enabled",)
    fields = ("name", "url", "stream", "event_types", "enabled", "disabled_reason", "allow_private")
    readonly_fields = ("disabled_reason",)
    actions = ("rotate_secret", "send_test_event")

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        return (*self.readonly_fields, *(() if has_role(request.user, Role.ADMIN) else ("allow_private",)))

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        is_admin, actor = has_role(request.user, Role.ADMIN), request.user.get_username()
        if change:
            endpoints.endpoint_update(endpoint=WebhookEndpoint.objects.get(pk=obj.pk), is_admin=is_admin, actor=actor,
                                      **fields)  # fmt: skip
            return
        created, secret = endpoints.endpoint_create(is_admin=is_admin, actor=actor, **fields)
        obj.pk = created.pk
        self.message_user(request, f"Secret of {created.name} (shown this once): {secret}", level=messages.WARNING)

    @admin.action(description="Rotate the secret (the old one signs for 24 more hours)")
    def rotate_secret(self, request, queryset) -> None:  # noqa: ANN001
        for endpoint in queryset:
            secret = endpoints.endpoint_rotate_secret(endpoint=endpoint, actor=request.user.get_username())
            self.message_user(request, f"New secret of {endpoint.name} (shown this once): {secret}", messages.WARNING)

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset) -> None:  # noqa: ANN001
        for endpoint in queryset:
            try:
                message = endpoints.endpoint_send_test(endpoint=endpoint, actor=request.user.get_username())
                self.message_user(request, f"Test event {message.msg_id} queued for {endpoint.name}.")
            except ValidationError as error:
                _fail(self, request, error)


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "started_at", "outcome", "response_code", "latency_ms", "error", "deliverer")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "message", "target", "endpoint", "status", "attempts", "last_response_code",
                    "next_attempt_at", "delivered_at")  # fmt: skip
    list_filter = ("status", "target", "endpoint")
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ("replay",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    @admin.action(description="Replay (send again, same webhook-id)")
    def replay(self, request, queryset) -> None:  # noqa: ANN001
        for delivery in queryset.select_related("endpoint", "message"):
            try:
                endpoints.delivery_replay(delivery=delivery, actor=request.user.get_username())
            except ValidationError as error:
                _fail(self, request, error)
        self.message_user(request, "Replays queued.")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "msg_id", "type", "stream_id", "event_id", "created_at", "dispatched_at")
    list_filter = ("type",)
    search_fields = ("msg_id", "event_id")
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False
