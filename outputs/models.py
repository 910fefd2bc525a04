"""Viewing tokens: what a player (VLC, ffmpeg, Home Assistant, an NVR) presents instead of a login to watch one
stream's outputs. Stored hashed: the secret is shown once, at creation (outputs.services.token_create)."""

from django.conf import settings
from django.db import models

from streams.models import Stream


class ViewingToken(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="viewing_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. “VLC in the control room”.")
    # SHA-256 of the secret: the secret has 256 bits of randomness, so no salt or slow hash is needed.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The secret's first characters, shown in lists so an admin can tell tokens apart; never enough to use.
    prefix = models.CharField(max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["stream_id", "-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def shown(self) -> str:
        """How lists show it: its prefix, never the secret."""
        return f"{self.prefix}…"
