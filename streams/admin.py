"""The admin: streams (created, changed, deleted and commanded through the services, as the API does), their
event log, and the worker registry. What a user may do follows the role's permissions (accounts.roles):
viewers see, operators also command and tune live settings (`streams.operate_stream`), admins do everything.
"""

from collections.abc import Callable

from django.contrib import admin, messages

from streams import services
from streams.forms import StreamForm
from streams.models import Stream, StreamEvent, WorkerNode


class StreamEventInline(admin.TabularInline):
    model = StreamEvent
    fields = ("created_at", "kind", "message", "actor")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-created_at", "-pk")
    verbose_name_plural = "Event log (newest first)"

    def get_queryset(self, request):
        # An inline cannot be sliced; the newest events are what an operator wants, so show only recent ones.
        recent = StreamEvent.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
        return super().get_queryset(request).filter(pk__in=list(recent[:2000]))


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    form = StreamForm  # shows camera URLs redacted and keeps the stored one when sent back unchanged
    list_display = (
        "name", "source_display", "desired_state", "status", "status_reason", "worker", "queue", "model", "max_fps"
    )
    list_filter = ("desired_state", "status", "queue")
    search_fields = ("name",)
    readonly_fields = (
        "desired_state", "status", "status_reason", "status_changed_at", "failure_count", "retry_at", "worker",
        "created_at", "updated_at",
    )
    inlines = [StreamEventInline]
    actions = ("start_selected", "stop_selected", "pause_selected", "resume_selected", "restart_selected")

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) or self.has_operate_permission(request)

    def has_operate_permission(self, request) -> bool:
        return request.user.has_perm("streams.operate_stream")

    def _may_configure(self, request, obj=None) -> bool:
        """Name, source, model and queue are an admin's; an operator changes the live settings only."""
        return super().has_change_permission(request, obj) or (obj is None and self.has_add_permission(request))

    def get_fields(self, request, obj=None) -> list[str]:
        fields = super().get_fields(request, obj)
        if self._may_configure(request, obj):
            return fields
        # Shown read-only, the source must not show a camera password.
        return ["source_display" if field == "source" else field for field in fields]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not self._may_configure(request, obj):
            fields += ["source_display", *(f for f in StreamForm.Meta.fields if f not in services.TUNABLE_FIELDS)]
        return fields

    def save_model(self, request, obj, form, change) -> None:
        actor = request.user.get_username()
        if change:
            changes = {field: getattr(obj, field) for field in form.changed_data}
            services.stream_update(stream=Stream.objects.get(pk=obj.pk), actor=actor, **changes)
        else:
            created = services.stream_create(
                name=obj.name, source=obj.source, max_fps=obj.max_fps, confidence=obj.confidence,
                classes=obj.classes, model=obj.model, queue=obj.queue, actor=actor,
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change) -> None:
        # Events are written by the services only: the read-only inline saves nothing, but the admin's
        # change message reads what each formset saved.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj) -> None:
        services.stream_delete(stream=obj, actor=request.user.get_username())

    def delete_queryset(self, request, queryset) -> None:
        for stream in queryset:
            services.stream_delete(stream=stream, actor=request.user.get_username())

    @admin.display(description="Source")
    def source_display(self, obj: Stream) -> str:
        return obj.source_display

    def _apply(self, request, queryset, command: Callable[..., Stream], verb: str) -> None:
        count = 0
        for stream in queryset:
            command(stream=stream, actor=request.user.get_username())
            count += 1
        self.message_user(request, f"{verb} {count} stream(s).", messages.SUCCESS)

    @admin.action(description="Start selected streams", permissions=["operate"])
    def start_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.stream_start, "Started")

    @admin.action(description="Stop selected streams", permissions=["operate"])
    def stop_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.stream_stop, "Stopped")

    @admin.action(description="Pause selected streams", permissions=["operate"])
    def pause_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.stream_pause, "Paused")

    @admin.action(description="Resume selected streams", permissions=["operate"])
    def resume_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.stream_resume, "Resumed")

    @admin.action(description="Restart selected streams", permissions=["operate"])
    def restart_selected(self, request, queryset) -> None:
        self._apply(request, queryset, services.stream_restart, "Restarted")


@admin.register(StreamEvent)
class StreamEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "stream", "kind", "message", "actor")
    list_filter = ("kind", "stream")
    search_fields = ("message", "actor", "stream__name")
    list_select_related = ("stream",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkerNode)
class WorkerNodeAdmin(admin.ModelAdmin):
    list_display = ("name", "hostname", "pid", "queues", "capacity", "heartbeat_at", "alive")
    readonly_fields = ("name", "hostname", "pid", "queues", "capacity", "started_at", "heartbeat_at")

    @admin.display(boolean=True)
    def alive(self, obj: WorkerNode) -> bool:
        return obj.is_alive

    def has_add_permission(self, request) -> bool:
        return False
