"""JSON API of a stream's viewing tokens (admins; accounts.access.RolePermission):

    /api/streams/<id>/viewing-tokens/                  GET list, POST create ({"name": ...}: the answer carries
                                                       the secret and the player URLs, this once)
    /api/streams/<id>/viewing-tokens/<token id>/       GET
    /api/streams/<id>/viewing-tokens/<token id>/revoke/  POST (idempotent)

Lists show a token's prefix, never its secret (only a hash is stored). Writes go through outputs.services.
"""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role
from core.api import request_actor
from outputs import selectors, services
from outputs.models import ViewingToken
from outputs.urls_shown import player_urls
from streams import selectors as stream_selectors
from streams.models import Stream


class ViewingTokenSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ViewingToken
        fields = ["id", "stream", "name", "prefix", "active", "created_by", "created_at", "last_used_at",
                  "revoked_at"]  # fmt: skip
        read_only_fields = ["stream", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_created_by(self, token: ViewingToken) -> str | None:
        return token.created_by.get_username() if token.created_by else None


class PlayerUrlsSerializer(serializers.Serializer):
    mjpeg = serializers.CharField()
    snapshot = serializers.CharField()
    vlc = serializers.CharField()
    ffmpeg = serializers.CharField()
    home_assistant = serializers.CharField()


class CreatedTokenSerializer(ViewingTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret: shown this once, never again.")
    urls = PlayerUrlsSerializer(read_only=True, help_text="The output URLs and player snippets, with the secret.")

    class Meta(ViewingTokenSerializer.Meta):
        fields = [*ViewingTokenSerializer.Meta.fields, "token", "urls"]


def _stream(stream_id: int) -> Stream:
    stream = stream_selectors.stream_get(stream_id=stream_id)
    if stream is None:
        raise Http404("No such stream.")
    return stream


class ViewingTokenViewSet(viewsets.GenericViewSet):
    """A stream's viewing tokens: what players (VLC, Home Assistant, an NVR) present to take its MJPEG and still
    image (docs/outputs.md)."""

    serializer_class = ViewingTokenSerializer
    action_roles = dict.fromkeys(("list", "retrieve", "create", "revoke"), Role.ADMIN)

    def get_queryset(self):
        return selectors.token_list(stream_id=self.kwargs["stream_id"])

    def list(self, request: Request, stream_id: int) -> Response:
        _stream(stream_id)
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request: Request, stream_id: int, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=ViewingTokenSerializer, responses={201: CreatedTokenSerializer})
    def create(self, request: Request, stream_id: int) -> Response:
        stream = _stream(stream_id)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.token_create(stream=stream, name=serializer.validated_data["name"],
                                              created_by=request.user, actor=request_actor(request))  # fmt: skip
        token.token, token.urls = secret, player_urls(request, stream, secret)  # type: ignore[attr-defined]
        return Response(CreatedTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ViewingTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, stream_id: int, pk: int) -> Response:
        token = services.token_revoke(token=self.get_object(), actor=request_actor(request))
        return Response(self.get_serializer(token).data)


_tokens = {"get": "list", "post": "create"}
urlpatterns = [
    path("streams/<int:stream_id>/viewing-tokens/", ViewingTokenViewSet.as_view(_tokens), name="stream-viewing-tokens"),
    path("streams/<int:stream_id>/viewing-tokens/<int:pk>/", ViewingTokenViewSet.as_view({"get": "retrieve"}),
         name="stream-viewing-token"),
    path("streams/<int:stream_id>/viewing-tokens/<int:pk>/revoke/", ViewingTokenViewSet.as_view({"post": "revoke"}),
         name="stream-viewing-token-revoke"),
]
