"""JSON API for streams (session or token auth). Writes go through streams.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from streams import selectors, services
from streams.models import Stream
from streams.sources import redact_source


class StreamSerializer(serializers.ModelSerializer):
    start = serializers.BooleanField(write_only=True, required=False, default=True)
    source_kind = serializers.CharField(read_only=True)

    class Meta:
        model = Stream
        fields = [
            "id", "name", "source", "source_kind", "max_fps", "confidence", "start",
            "desired_state", "status", "status_reason", "status_changed_at", "created_at", "updated_at",
        ]
        read_only_fields = ["desired_state", "status", "status_reason", "status_changed_at", "created_at", "updated_at"]

    def to_representation(self, instance: Stream) -> dict:
        data = super().to_representation(instance)
        data["source"] = instance.source_display  # camera URLs carry passwords
        return data

    def validate_source(self, value: str) -> str:
        # The API shows sources redacted; sending that back unchanged means "keep the stored one".
        if self.instance is not None and value == redact_source(self.instance.source):
            return self.instance.source
        return value.strip()


def _as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {field: [m for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


class StreamViewSet(viewsets.ModelViewSet):
    serializer_class = StreamSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.stream_list()

    def perform_create(self, serializer: StreamSerializer) -> None:
        data = dict(serializer.validated_data)
        try:
            serializer.instance = services.stream_create(**data)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None

    def perform_update(self, serializer: StreamSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("start", None)
        try:
            serializer.instance = services.stream_update(stream=serializer.instance, **data)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None

    def perform_destroy(self, instance: Stream) -> None:
        services.stream_delete(stream=instance)

    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        stream = services.stream_start(stream=self.get_object())
        return Response(self.get_serializer(stream).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str | None = None) -> Response:
        stream = services.stream_stop(stream=self.get_object())
        return Response(self.get_serializer(stream).data, status=status.HTTP_202_ACCEPTED)
