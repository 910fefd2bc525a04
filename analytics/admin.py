"""Admin: zones and lines (validated like the API, saved through analytics.services so that the running stream
takes them within a second), the streams' analytics settings with a reset action, and the counts (read-only)."""

from django.contrib import admin, messages
from django.http import HttpRequest

from analytics import services
from analytics.models import AnalyticsSettings, CountBucket, Line, Zone


class ShapeAdmin(admin.ModelAdmin):
    """Zones and lines alike: every write goes through the services (logged, and the worker woken)."""

    editable: frozenset[str]
    list_filter = ("stream",)
    search_fields = ("name", "stream__name")

    def get_readonly_fields(self, request: HttpRequest, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        return ("stream", "created_at", "updated_at") if obj is not None else ("created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - Django's signature
        actor = request.user.get_username()
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.editable}
            self.update(type(obj).objects.get(pk=obj.pk), actor, changes)
        else:
            fields = {name: form.cleaned_data[name] for name in self.editable if name in form.cleaned_data}
            obj.pk = self.create(obj.stream, actor, fields).pk

    def delete_model(self, request, obj) -> None:  # noqa: ANN001 - Django's signature
        self.delete(obj, request.user.get_username())

    def delete_queryset(self, request, queryset) -> None:  # noqa: ANN001 - Django's signature
        for obj in queryset:
            self.delete(obj, request.user.get_username())


@admin.register(Zone)
class ZoneAdmin(ShapeAdmin):
    list_display = ("name", "stream", "anchor", "classes", "updated_at")
    editable = services.ZONE_FIELDS

    def create(self, stream, actor: str, fields: dict) -> Zone:  # noqa: ANN001 - a Stream
        return services.zone_create(stream=stream, actor=actor, **fields)

    def update(self, zone: Zone, actor: str, changes: dict) -> None:
        services.zone_update(zone=zone, actor=actor, **changes)

    def delete(self, zone: Zone, actor: str) -> None:
        services.zone_delete(zone=zone, actor=actor)


@admin.register(Line)
class LineAdmin(ShapeAdmin):
    list_display = ("name", "stream", "in_side", "anchor", "classes", "updated_at")
    editable = services.LINE_FIELDS

    def create(self, stream, actor: str, fields: dict) -> Line:  # noqa: ANN001 - a Stream
        return services.line_create(stream=stream, actor=actor, **fields)

    def update(self, line: Line, actor: str, changes: dict) -> None:
        services.line_update(line=line, actor=actor, **changes)

    def delete(self, line: Line, actor: str) -> None:
        services.line_delete(line=line, actor=actor)


@admin.register(AnalyticsSettings)
class AnalyticsSettingsAdmin(admin.ModelAdmin):
    list_display = ("stream", "tracking", "traces", "counts_reset_at")
    readonly_fields = ("counts_reset_at",)
    actions = ["reset_counts"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):  # noqa: ANN001, ANN201 - Django's signature
        return ("stream", "counts_reset_at") if obj is not None else ("counts_reset_at",)

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - Django's signature
        row = services.settings_update(stream=obj.stream, actor=request.user.get_username(),
                                       tracking=obj.tracking, traces=obj.traces)  # fmt: skip
        obj.pk = row.pk

    @admin.action(description="Reset the counts of the selected streams")
    def reset_counts(self, request: HttpRequest, queryset) -> None:  # noqa: ANN001 - a QuerySet
        for row in queryset.select_related("stream"):
            services.counts_reset(stream=row.stream, actor=request.user.get_username())
        messages.success(request, f"Counts reset for {queryset.count()} stream(s).")


@admin.register(CountBucket)
class CountBucketAdmin(admin.ModelAdmin):
    """Read-only: counts come from the workers; a reset (above, or on the stream page) clears them."""

    list_display = ("minute", "stream", "kind", "object_id", "class_name", "metric", "count")
    list_filter = ("kind", "metric", "stream")
    date_hierarchy = "minute"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # noqa: ANN001 - Django's signature
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # noqa: ANN001 - Django's signature
        return False
