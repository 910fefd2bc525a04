"""JSON API for streams, their lifecycle commands and event log, and the worker registry.

Session or token auth (`POST /api/token/` with username and password returns a token for scripts). Every
write goes through streams.services; the schema is at /api/schema/. Each view declares the role each action
needs (`action_roles`, enforced by accounts.access.RolePermission, the default permission class).
"""

from collections.abc import Callable

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import refusal
from accounts.roles import Role, has_role
from core.api import request_actor
from streams import demo, selectors, services
from streams.models import Stream, StreamEvent, WorkerNode
from streams.sources import source_unless_redacted


class StrictFloatField(serializers.FloatField):
    """A number, and not a JSON true/false: float(True) is 1.0, which would store a max FPS nobody asked for."""

    def to_internal_value(self, data: object) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StreamSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: StrictFloatField,
    }
    start = serializers.BooleanField(
        write_only=True, required=False, default=True, help_text="False creates the stream stopped."
    )
    source_kind = serializers.CharField(read_only=True)
    retry_in_s = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Stream
        fields = [
            "id", "name", "source", "source_kind", "max_fps", "confidence", "classes", "model", "queue", "start",
            "demo", "desired_state", "desired_version", "status", "status_reason", "retry_in_s", "worker",
            "status_changed_at", "created_at", "updated_at",
        ]
        read_only_fields = [
            "demo", "desired_state", "desired_version", "status", "status_reason", "worker", "status_changed_at",
            "created_at", "updated_at",
        ]

    def to_representation(self, instance: Stream) -> dict:
        data = super().to_representation(selectors.stream_shown(instance))
        data["source"] = instance.source_display  # camera URLs carry passwords
        return data

    def validate_source(self, value: str) -> str:
        return source_unless_redacted(value, self.instance.source if self.instance is not None else None).strip()


class StreamEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StreamEvent
        fields = ["id", "created_at", "kind", "message", "actor"]


class DemoRemovedSerializer(serializers.Serializer):
    """For the schema: what DELETE /api/streams/demo/ answers."""

    removed = serializers.ListField(child=serializers.CharField(), help_text="The names of the streams removed")


class MetricsSampleSerializer(serializers.Serializer):
    """For the schema: samples come from streams.metrics_history as plain dicts."""

    at = serializers.FloatField(help_text="Unix time of the sample")
    fps = serializers.FloatField()
    inference_ms = serializers.FloatField()
    detections = serializers.DictField(child=serializers.IntegerField(), help_text="class name -> count")
    inference_errors = serializers.IntegerField()


class WorkerSerializer(serializers.ModelSerializer):
    is_alive = serializers.BooleanField(read_only=True)
    streams_held = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WorkerNode
        fields = ["name", "hostname", "pid", "queues", "capacity", "started_at", "heartbeat_at", "is_alive",
                  "streams_held"]


class StreamViewSet(viewsets.ModelViewSet):
    serializer_class = StreamSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_roles = {
        **dict.fromkeys(("list", "retrieve", "events", "metrics"), Role.VIEWER),
        # PATCH: an operator may change the live settings only (services.TUNABLE_FIELDS); see perform_update.
        **dict.fromkeys(("partial_update", "start", "stop", "pause", "resume", "restart"), Role.OPERATOR),
        # The demo streams are the product's own, not an admin's: whoever operates may clear them away.
        "remove_demo": Role.OPERATOR,
        **dict.fromkeys(("create", "bulk", "destroy"), Role.ADMIN),
    }

    def get_queryset(self):
        return selectors.stream_list()

    def perform_create(self, serializer: StreamSerializer) -> None:
        serializer.instance = services.stream_create(**serializer.validated_data, actor=request_actor(self.request))

    def perform_update(self, serializer: StreamSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("start", None)
        instance = serializer.instance
        beyond = sorted(f for f, v in data.items() if f not in services.TUNABLE_FIELDS and getattr(instance, f) != v)
        if beyond and not has_role(self.request.user, Role.ADMIN):
            raise PermissionDenied(f"Changing {', '.join(beyond)}: {refusal(self.request.user, Role.ADMIN)}")
        serializer.instance = services.stream_update(stream=serializer.instance, actor=request_actor(self.request),
                                                     **data)

    def perform_destroy(self, instance: Stream) -> None:
        services.stream_delete(stream=instance, actor=request_actor(self.request))

    @extend_schema(request=StreamSerializer(many=True), responses={201: StreamSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Create several streams at once, all or none; errors are keyed by the item's index."""
        if not isinstance(request.data, list) or not request.data:
            raise serializers.ValidationError({"non_field_errors": ["Send a non-empty JSON list of streams."]})
        serializer = self.get_serializer(data=request.data, many=True)
        if not serializer.is_valid():
            errors = serializer.errors  # keyed by index (a list in older DRF versions)
            items = errors.items() if isinstance(errors, dict) else enumerate(errors)
            return Response({str(i): e for i, e in items if e}, status=status.HTTP_400_BAD_REQUEST)
        created = services.streams_bulk_create(items=serializer.validated_data, actor=request_actor(request))
        return Response(self.get_serializer(created, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DemoRemovedSerializer})
    @action(detail=False, methods=["delete"], url_path="demo", url_name="demo")
    def remove_demo(self, request: Request) -> Response:
        """Remove the demo streams (those the first `make run` made): each stops and goes, with its zones, lines,
        rules, events and counts. Answers the names removed (an empty list when there were none)."""
        return Response({"removed": demo.demo_streams_remove(actor=request_actor(request))})

    def _command(self, command: Callable[..., Stream]) -> Response:
        try:
            stream = command(stream=self.get_object(), actor=request_actor(self.request))
        except Stream.DoesNotExist:  # deleted while the command was on its way
            raise NotFound("No such stream.") from None
        return Response(self.get_serializer(stream).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: StreamSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        return self._command(services.stream_start)

    @extend_schema(request=None, responses={202: StreamSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str | None = None) -> Response:
        return self._command(services.stream_stop)

    @extend_schema(request=None, responses={202: StreamSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._command(services.stream_pause)

    @extend_schema(request=None, responses={202: StreamSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._command(services.stream_resume)

    @extend_schema(request=None, responses={202: StreamSerializer})
    @action(detail=True, methods=["post"])
    def restart(self, request: Request, pk: str | None = None) -> Response:
        return self._command(services.stream_restart)

    @extend_schema(responses={200: StreamEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The stream's event log, newest first (`?limit=`, at most 500)."""
        stream = self.get_object()
        limit = max(1, min(_int(request.query_params.get("limit"), 50), 500))
        events = selectors.stream_events(stream_id=stream.pk, limit=limit)
        return Response(StreamEventSerializer(events, many=True).data)


    @extend_schema(responses={200: MetricsSampleSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def metrics(self, request: Request, pk: str | None = None) -> Response:
        """The stream's metrics over the last five minutes, about one sample a second, oldest first."""
        stream = self.get_object()
        return Response(selectors.stream_metrics_history(stream_id=stream.pk))


class WorkerViewSet(viewsets.ViewSet):
    action_roles = {"list": Role.VIEWER}

    @extend_schema(responses={200: WorkerSerializer(many=True)})
    def list(self, request: Request) -> Response:
        """Registered worker nodes with their heartbeat and the streams they run."""
        return Response(WorkerSerializer(selectors.worker_list(), many=True).data)


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default
