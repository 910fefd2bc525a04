"""JSON API for webhook endpoints and their deliveries: endpoints CRUD (the secret is in the answer to a create
or a rotation, and nowhere else), the delivery log, send a test event, replay a delivery. Only admins may allow
private targets."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role, has_role
from core.api import request_actor
from events import endpoints, selectors
from events.api.events import Pages
from events.models import Delivery, DeliveryAttempt, WebhookEndpoint

SecretSerializer = inline_serializer("Secret", {"secret": serializers.CharField()})


class EndpointSerializer(serializers.ModelSerializer):
    pending = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "enabled", "disabled_reason", "allow_private", "stream", "event_types",
                  "pending", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["disabled_reason", "created_at", "updated_at"]
        validators = []


class AttemptSerializer(serializers.ModelSerializer):
    msg_id = serializers.CharField(source="delivery.message.msg_id")
    type = serializers.CharField(source="delivery.message.type")

    class Meta:
        model = DeliveryAttempt
        fields = ["id", "delivery", "msg_id", "type", "number", "deliverer", "started_at", "latency_ms",
                  "response_code", "outcome", "error"]  # fmt: skip


class DeliverySerializer(serializers.ModelSerializer):
    msg_id = serializers.CharField(source="message.msg_id")
    message_seq = serializers.IntegerField(source="message.pk", help_text="The outbox's order")
    type = serializers.CharField(source="message.type")
    stream_id = serializers.IntegerField(source="message.stream_id", allow_null=True)
    event_id = serializers.UUIDField(source="message.event_id", allow_null=True)
    created_at = serializers.DateTimeField(source="message.created_at")

    class Meta:
        model = Delivery
        fields = ["id", "msg_id", "message_seq", "type", "stream_id", "event_id", "target", "endpoint", "status",
                  "attempts", "next_attempt_at", "last_response_code", "last_error", "created_at", "delivered_at",
                  "replay_of"]  # fmt: skip
        read_only_fields = fields


class EndpointViewSet(viewsets.ModelViewSet):
    required_role = Role.ADMIN  # endpoint URLs can be secrets themselves (chat webhooks): admins only
    """Webhook endpoints (Standard Webhooks: signed with the endpoint's secret, retried until delivered)."""

    serializer_class = EndpointSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.endpoint_list()

    @extend_schema(responses={201: EndpointSerializer})
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        """Create an endpoint; the answer carries its `secret`, shown this once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = endpoints.endpoint_create(
            is_admin=has_role(request.user, Role.ADMIN), actor=request_actor(request), **serializer.validated_data
        )
        return Response({**self.get_serializer(endpoint).data, "secret": secret}, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: EndpointSerializer) -> None:
        serializer.instance = endpoints.endpoint_update(
            endpoint=serializer.instance, is_admin=has_role(self.request.user, Role.ADMIN),
            actor=request_actor(self.request),
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        endpoints.endpoint_delete(endpoint=instance, actor=request_actor(self.request))

    @extend_schema(request=None, responses={200: SecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret, shown this once; the old one keeps signing beside it for 24 hours."""
        secret = endpoints.endpoint_rotate_secret(endpoint=self.get_object(), actor=request_actor(request))
        return Response({"secret": secret})

    @extend_schema(request=None, responses={202: inline_serializer("TestSent", {"msg_id": serializers.CharField()})})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a test event (type `webhook.test`) to this endpoint."""
        message = endpoints.endpoint_send_test(endpoint=self.get_object(), actor=request_actor(request))
        return Response({"msg_id": message.msg_id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: AttemptSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def log(self, request: Request, pk: str | None = None) -> Response:
        """The delivery log: every attempt, newest first (`?limit=`, at most 1000)."""
        limit = max(1, min(int(request.query_params.get("limit", "100") or 100), 1000))
        attempts = selectors.delivery_log(endpoint_id=self.get_object().pk, limit=limit)
        return Response(AttemptSerializer(attempts, many=True).data)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    required_role = Role.ADMIN
    """Deliveries of one endpoint (`?endpoint=<id>`) in message order, and `replay`."""

    serializer_class = DeliverySerializer
    pagination_class = Pages

    def get_queryset(self):
        deliveries = Delivery.objects.select_related("message").order_by("message_id", "pk")
        endpoint = self.request.query_params.get("endpoint")
        return deliveries.filter(endpoint_id=int(endpoint)) if endpoint and endpoint.isdigit() else deliveries

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Send the message again (same webhook-id), as a new delivery."""
        replay = endpoints.delivery_replay(delivery=self.get_object(), actor=request_actor(request))
        return Response(self.get_serializer(replay).data, status=status.HTTP_202_ACCEPTED)
