"""JSON API of a stream's analytics: its zones and lines, its analytics settings, its counts over any time
range (JSON or CSV) and resetting them. Every write goes through analytics.services.

    /api/streams/<id>/zones/            GET list, POST create       /zones/<zone id>/  GET, PATCH, DELETE
    /api/streams/<id>/lines/            GET list, POST create       /lines/<line id>/  GET, PATCH, DELETE
    /api/streams/<id>/analytics/        GET, PATCH (tracking, traces)
    /api/streams/<id>/counts/           GET ?from=&to=&bucket=minute|hour|day  (default: the last hour, minutes)
    /api/streams/<id>/counts.csv        the same rows as CSV
    /api/streams/<id>/counts/reset/     POST: every count of the stream back to zero (logged with who)
"""

import csv
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from analytics import selectors, services
from analytics.models import AnalyticsSettings, Line, Zone
from core.api import request_actor
from streams import selectors as stream_selectors
from streams.models import Stream

MAX_RANGE = {"minute": timedelta(days=7), "hour": timedelta(days=92), "day": timedelta(days=3660)}
CSV_FIELDS = ["start", "kind", "object_id", "name", "class_name", "metric", "count"]


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "name", "points", "classes", "anchor", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # analytics.services validates (shape, classes, unique name) and says why


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = ["id", "name", "points", "in_side", "classes", "anchor", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class AnalyticsSettingsSerializer(serializers.ModelSerializer):
    min_tracking_fps = serializers.SerializerMethodField()

    class Meta:
        model = AnalyticsSettings
        fields = ["tracking", "traces", "counts_reset_at", "min_tracking_fps"]
        read_only_fields = ["counts_reset_at"]

    def get_min_tracking_fps(self, obj: AnalyticsSettings) -> float:
        return settings.ANALYTICS_MIN_TRACKING_FPS


class CountRowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Start of the bucket (UTC)")
    kind = serializers.ChoiceField(choices=["zone", "line"])
    object_id = serializers.IntegerField()
    name = serializers.CharField(help_text="The zone's or line's name now")
    class_name = serializers.CharField()
    metric = serializers.CharField(help_text="in, out (lines); enter, exit, dwell_s (zones)")
    count = serializers.IntegerField()


def _stream(stream_id: int) -> Stream:
    stream = stream_selectors.stream_get(stream_id=stream_id)
    if stream is None:
        raise Http404("No such stream.")
    return stream


class _ShapeViewSet(viewsets.GenericViewSet):
    # Zones and lines apply to the running stream like confidence does: an operator's live settings.
    action_roles = {**dict.fromkeys(("list", "retrieve"), Role.VIEWER),
                    **dict.fromkeys(("create", "partial_update", "destroy"), Role.OPERATOR)}  # fmt: skip
    """Zones and lines alike; subclasses name the model and the services."""

    model: type[Zone] | type[Line]
    field: str  # the keyword the update and delete services take

    def get_queryset(self):
        return self.model.objects.filter(stream_id=self.kwargs["stream_id"]).order_by("name")

    def list(self, request: Request, stream_id: int) -> Response:
        _stream(stream_id)
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, stream_id: int, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request, stream_id: int) -> Response:
        stream = _stream(stream_id)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shape = self._call(self.create_service, stream=stream, **serializer.validated_data)
        return Response(self.get_serializer(shape).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, stream_id: int, pk: int) -> Response:
        shape = self.get_object()
        serializer = self.get_serializer(shape, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        shape = self._call(self.update_service, **{self.field: shape}, **serializer.validated_data)
        return Response(self.get_serializer(shape).data)

    def destroy(self, request: Request, stream_id: int, pk: int) -> Response:
        self._call(self.delete_service, **{self.field: self.get_object()})
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _call(self, service, **kwargs):  # noqa: ANN001, ANN202 - one of the analytics services
        return service(actor=request_actor(self.request), **kwargs)


class ZoneViewSet(_ShapeViewSet):
    """A stream's zones (polygons, points relative to the frame); changes apply to the running stream."""

    model, field, serializer_class = Zone, "zone", ZoneSerializer
    create_service = staticmethod(services.zone_create)
    update_service = staticmethod(services.zone_update)
    delete_service = staticmethod(services.zone_delete)


class LineViewSet(_ShapeViewSet):
    """A stream's counting lines (two points relative to the frame, and which side is "in")."""

    model, field, serializer_class = Line, "line", LineSerializer
    create_service = staticmethod(services.line_create)
    update_service = staticmethod(services.line_update)
    delete_service = staticmethod(services.line_delete)


class AnalyticsSettingsView(APIView):
    method_roles = {"GET": Role.VIEWER, "PATCH": Role.OPERATOR}
    @extend_schema(responses=AnalyticsSettingsSerializer)
    def get(self, request: Request, stream_id: int) -> Response:
        """Tracking and traces of the stream, when its counts were last reset, the rate tracking needs."""
        _stream(stream_id)
        return Response(AnalyticsSettingsSerializer(selectors.settings_of(stream_id=stream_id)).data)

    @extend_schema(request=AnalyticsSettingsSerializer, responses=AnalyticsSettingsSerializer)
    def patch(self, request: Request, stream_id: int) -> Response:
        stream = _stream(stream_id)
        serializer = AnalyticsSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = services.settings_update(stream=stream, actor=request_actor(request), **serializer.validated_data)
        return Response(AnalyticsSettingsSerializer(row).data)


COUNT_PARAMETERS = [
    OpenApiParameter("from", str, description="ISO 8601 time or unix seconds; default: `to` minus one hour"),
    OpenApiParameter("to", str, description="ISO 8601 time or unix seconds; default: now"),
    OpenApiParameter("bucket", str, enum=["minute", "hour", "day"], description="default: minute"),
]


class CountsView(APIView):
    method_roles = {"GET": Role.VIEWER}
    @extend_schema(parameters=COUNT_PARAMETERS, responses=CountRowSerializer(many=True))
    def get(self, request: Request, stream_id: int) -> Response:
        """Counts per bucket (UTC) of every zone and line of the stream, oldest first."""
        rows = _count_rows(request, _stream(stream_id))
        return Response(CountRowSerializer(rows, many=True).data)


class CountsCsvView(APIView):
    method_roles = {"GET": Role.VIEWER}
    @extend_schema(parameters=COUNT_PARAMETERS, responses={(200, "text/csv"): str})
    def get(self, request: Request, stream_id: int) -> HttpResponse:
        """The same rows as /counts/, as a CSV download."""
        stream = _stream(stream_id)
        rows = _count_rows(request, stream)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="stream-{stream.pk}-counts.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_FIELDS)
        for row in rows:
            writer.writerow([row.start.isoformat(), *(getattr(row, name) for name in CSV_FIELDS[1:])])
        return response


class ResetSerializer(serializers.Serializer):
    reset = serializers.BooleanField()
    buckets_deleted = serializers.IntegerField()


class CountsResetView(APIView):
    method_roles = {"POST": Role.OPERATOR}
    @extend_schema(request=None, responses=ResetSerializer)
    def post(self, request: Request, stream_id: int) -> Response:
        """Every count of the stream's zones and lines back to zero; the event log records who did it."""
        deleted = services.counts_reset(stream=_stream(stream_id), actor=request_actor(request))
        return Response({"reset": True, "buckets_deleted": deleted})


def _count_rows(request: Request, stream: Stream) -> list[selectors.CountRow]:
    params = request.query_params
    bucket = params.get("bucket") or "minute"
    if bucket not in selectors.BUCKETS:
        raise serializers.ValidationError({"bucket": ["Choose minute, hour or day."]})
    end = _time(params.get("to"), "to") or datetime.now(UTC)
    start = _time(params.get("from"), "from") or end - timedelta(hours=1)
    if start >= end:
        raise serializers.ValidationError({"from": ["'from' must be before 'to'."]})
    if end - start > MAX_RANGE[bucket]:
        raise serializers.ValidationError({"from": [f"At most {MAX_RANGE[bucket].days} days of {bucket} buckets."]})
    return selectors.count_series(stream_id=stream.pk, start=start, end=end, bucket=bucket)


def _time(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        found = datetime.fromtimestamp(float(raw), tz=UTC) if _is_number(raw) else datetime.fromisoformat(raw)
    except (ValueError, OverflowError, OSError):
        raise serializers.ValidationError({name: ["Give an ISO 8601 time or unix seconds."]}) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


_shapes = {"get": "list", "post": "create"}
_shape = {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
urlpatterns = [
    path("streams/<int:stream_id>/zones/", ZoneViewSet.as_view(_shapes), name="stream-zones"),
    path("streams/<int:stream_id>/zones/<int:pk>/", ZoneViewSet.as_view(_shape), name="stream-zone"),
    path("streams/<int:stream_id>/lines/", LineViewSet.as_view(_shapes), name="stream-lines"),
    path("streams/<int:stream_id>/lines/<int:pk>/", LineViewSet.as_view(_shape), name="stream-line"),
    path("streams/<int:stream_id>/analytics/", AnalyticsSettingsView.as_view(), name="stream-analytics"),
    path("streams/<int:stream_id>/counts/", CountsView.as_view(), name="stream-counts"),
    path("streams/<int:stream_id>/counts.csv", CountsCsvView.as_view(), name="stream-counts-csv"),
    path("streams/<int:stream_id>/counts/reset/", CountsResetView.as_view(), name="stream-counts-reset"),
]
