"""Admin: the model records (read-only, they mirror Triton), a sync action and an import form."""

import tempfile
from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog.forms import ImportModelForm
from catalog.models import UNKNOWN, InferenceModel
from catalog.onnx_tools import ImportRefusedError
from catalog.services import model_import_from_settings, models_sync, triton_from_settings
from yolo_triton.admin import TritonAdminError


@admin.register(InferenceModel)
class InferenceModelAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "input_size", "class_count", "layout", "server_side_nms", "max_batch_size",
                    "synced_at")  # fmt: skip
    list_filter = ("state", "layout")
    search_fields = ("name",)
    readonly_fields = [f.name for f in InferenceModel._meta.fields]
    empty_value_display = UNKNOWN  # layout and batch size of a model Triton has not loaded
    actions = ["sync_from_triton"]
    change_list_template = "admin/catalog/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # models come from Triton (sync) or from an import, never typed in

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="catalog_inferencemodel_import")] + super().get_urls()

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing is adding a model: an admin's (the add form itself stays off: models are never typed in)."""
        return request.user.has_perm("catalog.add_inferencemodel")

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra)

    @admin.action(description="Sync from Triton's repository index", permissions=["change"])
    def sync_from_triton(self, request: HttpRequest, queryset=None) -> None:  # noqa: ANN001 - admin action API
        triton = triton_from_settings()
        if triton is None:
            self.message_user(request, "TRITON_URL is not set: nothing to sync from", messages.ERROR)
            return
        try:
            result = models_sync(triton=triton)
        except TritonAdminError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Ready: {result.ready}; unavailable: {result.unavailable}; "
                                   f"missing: {result.missing}")  # fmt: skip

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied("Importing a model needs the admin role.")
        form = ImportModelForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            steps: list[str] = []
            upload = form.cleaned_data["file"]
            name = form.cleaned_data["name"] or Path(upload.name).stem
            if self._import(request, upload, name, steps):
                return HttpResponseRedirect(reverse("admin:catalog_inferencemodel_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import a YOLO ONNX model",
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/catalog/import_model.html", context)

    def _import(self, request: HttpRequest, upload, name: str, steps: list[str]) -> bool:  # noqa: ANN001
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.onnx"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                result = model_import_from_settings(onnx_path=path, name=name, progress=steps.append)
            except ImportRefusedError as exc:
                self.message_user(request, f"{upload.name} was not imported ({' → '.join(steps)}): {exc}",
                                  messages.ERROR)  # fmt: skip
                return False
        model = result.model
        notes = "; ".join(result.notes)
        self.message_user(request, f"Imported {model.name} ({' → '.join(steps)}): {model.input_size}, "
                                   f"{model.class_count} classes, {'loaded' if result.loaded else 'not loaded yet'}"
                                   f"{'; ' + notes if notes else ''}")  # fmt: skip
        return True
