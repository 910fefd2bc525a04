"""What every app's JSON API shares: the JSON parser, the one translation of a service's refusal into a 400
(REST_FRAMEWORK's EXCEPTION_HANDLER), the actor a write is logged under, and the JSON 404 of unknown paths."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response


class BoundedJSONParser(JSONParser):
    """A body nested thousands of levels deep makes json.loads raise RecursionError (a 500); it is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):  # noqa: ANN001, ANN201 - DRF API
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as the API shows it: messages per field, else under non_field_errors."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {field: [m for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


def exception_handler(error: Exception, context: dict) -> Response | None:
    """Services refuse bad input with Django's ValidationError: every API view answers it as a 400, and the
    request's transaction is rolled back like any other handled error."""
    # Imported here: rest_framework.views reads the API settings, which name this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(error, DjangoValidationError):
        error = as_drf_error(error)
    return drf_exception_handler(error, context)


def request_actor(request: HttpRequest | Request) -> str:
    """Who a write is logged under: the user's name."""
    return request.user.get_username()


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any /api/ path no endpoint serves: a JSON 404, as the rest of the API answers."""
    hint = "" if request.path.endswith("/") else f" (did you mean {request.path}/ ?)"
    return JsonResponse({"detail": f"No API endpoint at {request.path}{hint}; see /api/schema/."}, status=404)
