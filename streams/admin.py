from django.contrib import admin, messages

from streams import services
from streams.forms import StreamForm
from streams.models import Stream


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    form = StreamForm  # shows camera URLs redacted and keeps the stored one when sent back unchanged
    list_display = ("name", "source_display", "desired_state", "status", "status_reason", "max_fps", "confidence")
    list_filter = ("desired_state", "status")
    search_fields = ("name",)
    readonly_fields = ("desired_state", "status", "status_reason", "status_changed_at", "created_at", "updated_at")
    actions = ("start_selected", "stop_selected")

    def save_model(self, request, obj, form, change) -> None:
        if change:
            changes = {field: getattr(obj, field) for field in form.changed_data}
            services.stream_update(stream=Stream.objects.get(pk=obj.pk), **changes)
        else:
            created = services.stream_create(
                name=obj.name, source=obj.source, max_fps=obj.max_fps, confidence=obj.confidence
            )
            obj.pk = created.pk

    def delete_model(self, request, obj) -> None:
        services.stream_delete(stream=obj)

    def delete_queryset(self, request, queryset) -> None:
        for stream in queryset:
            services.stream_delete(stream=stream)

    @admin.display(description="Source")
    def source_display(self, obj: Stream) -> str:
        return obj.source_display

    @admin.action(description="Start selected streams")
    def start_selected(self, request, queryset) -> None:
        for stream in queryset:
            services.stream_start(stream=stream)
        self.message_user(request, f"Started {queryset.count()} stream(s).", messages.SUCCESS)

    @admin.action(description="Stop selected streams")
    def stop_selected(self, request, queryset) -> None:
        for stream in queryset:
            services.stream_stop(stream=stream)
        self.message_user(request, f"Stopped {queryset.count()} stream(s).", messages.SUCCESS)
