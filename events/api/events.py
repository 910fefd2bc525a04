"""JSON API for event rules and events: rules CRUD, events list/filter/detail, snapshot and thumbnail download,
acknowledge. Writes go through events.services; bad input gets 400 and stores nothing."""

from django.http import FileResponse, Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role
from core.api import request_actor
from events import outbox, selectors, services, snapshots
from events.models import Event, Rule


class RuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["id", "stream", "name", "kind", "classes", "min_score", "min_duration_s", "cooldown_s", "enabled",
                  "zone", "line", "direction", "max_occupancy", "dwell_s", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service checks the unique name, with the other rules, in one place


class EventSerializer(serializers.ModelSerializer):
    stream_name = serializers.CharField(source="stream.name", read_only=True)
    label = serializers.CharField(source="class_name", read_only=True)
    active = serializers.BooleanField(read_only=True)
    has_snapshot = serializers.BooleanField(read_only=True)
    snapshot_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "stream", "stream_name", "rule", "rule_name", "kind", "label", "tracker_id", "best_score",
                  "box", "zones", "detail", "started_at", "updated_at", "ended_at", "end_reason", "active",
                  "has_snapshot", "snapshot_url", "thumbnail_url", "snapshot_pruned_at", "snapshot_pruned_reason",
                  "acknowledged_at", "acknowledged_by"]  # fmt: skip
        read_only_fields = fields

    def get_snapshot_url(self, event: Event) -> str | None:
        return outbox.event_data(event)["snapshot_url"]

    def get_thumbnail_url(self, event: Event) -> str | None:
        return outbox.event_data(event)["thumbnail_url"]


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 1000


class RuleViewSet(viewsets.ModelViewSet):
    action_roles = {**dict.fromkeys(("list", "retrieve"), Role.VIEWER),
                    **dict.fromkeys(("create", "update", "partial_update", "destroy"), Role.ADMIN)}  # fmt: skip
    """A stream's rules (`?stream=<id>`): classes, minimum score, minimum duration, cooldown; `zone` (object
    rules: optional; overcrowded, loitering: required), `line` and `direction` (line_crossed), `max_occupancy`
    (overcrowded), `dwell_s` (loitering). A zone or line of another stream, or a negative number: 400."""

    serializer_class = RuleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.rule_list(stream_id=_int_or_none(self.request.query_params.get("stream")))

    def perform_create(self, serializer: RuleSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.rule_create(**data, actor=request_actor(self.request))

    def perform_update(self, serializer: RuleSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("stream", None)  # a rule stays with its stream
        serializer.instance = services.rule_update(rule=serializer.instance, actor=request_actor(self.request), **data)

    def perform_destroy(self, instance: Rule) -> None:
        services.rule_delete(rule=instance, actor=request_actor(self.request))


FILTERS = [
    OpenApiParameter("stream", int), OpenApiParameter("rule", int), OpenApiParameter("class", str),
    OpenApiParameter("zone", int, description="Events that were in this zone (analytics zone id)"),
    OpenApiParameter("since", str, description="ISO 8601"), OpenApiParameter("until", str, description="ISO 8601"),
    OpenApiParameter("active", bool),
]


@extend_schema(parameters=FILTERS)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    action_roles = {**dict.fromkeys(("list", "retrieve", "snapshot", "thumbnail"), Role.VIEWER),
                    "acknowledge": Role.OPERATOR}  # fmt: skip
    """Events newest first, filtered by stream, rule, class (`class`), zone (`zone`: events that were in it),
    start time (`since`, `until`) and whether they are still going on (`active`)."""

    serializer_class = EventSerializer
    pagination_class = Pages
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        params = self.request.query_params
        active = params.get("active")
        return selectors.event_list(
            stream_id=_int_or_none(params.get("stream")), rule_id=_int_or_none(params.get("rule")),
            class_name=params.get("class", ""), zone_id=_int_or_none(params.get("zone")),
            since=_when(params, "since"), until=_when(params, "until"),
            active=None if active in (None, "") else active.lower() in ("1", "true", "yes"),
        )

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def snapshot(self, request: Request, pk: str | None = None) -> FileResponse:
        """The best snapshot (JPEG, the event's box highlighted); 404 once retention pruned it."""
        return _image(self.get_object(), "snapshot")

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request: Request, pk: str | None = None) -> FileResponse:
        return _image(self.get_object(), "thumbnail")

    @extend_schema(request=None, responses={200: EventSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        event = services.event_acknowledge(event=self.get_object(), actor=request_actor(request))
        return Response(self.get_serializer(event).data)


def _image(event: Event, field: str) -> FileResponse:
    path = snapshots.media_path(getattr(event, field)) if event.has_snapshot else None
    if path is None or not path.is_file():
        raise Http404("No snapshot: " + (event.snapshot_pruned_reason or "this event has none."))
    return FileResponse(path.open("rb"), content_type="image/jpeg", filename=f"event-{event.pk}-{field}.jpg")


def _int_or_none(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise serializers.ValidationError({"filter": f"Not a number: {raw!r}."}) from None


def _when(params: dict, name: str):  # noqa: ANN202 - datetime | None
    raw = params.get(name)
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        raise serializers.ValidationError({name: f"Not an ISO 8601 date and time: {raw!r}."})
    return moment
