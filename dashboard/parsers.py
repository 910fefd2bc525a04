"""The API's JSON parser, refusing bodies Python's json module cannot take apart safely."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """A body nested thousands of levels deep makes json.loads raise RecursionError (a 500); it is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):  # noqa: ANN001, ANN201 - DRF API
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
