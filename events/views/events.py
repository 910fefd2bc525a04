"""The events pages: the timeline (filters, pagination, live), an event's detail with its snapshot, the
acknowledgement, and the rules pages. Reads go through events.selectors, writes through events.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from core.api import request_actor
from core.web import form_add_errors
from events import selectors, services
from events.forms import EventFilterForm, RuleForm
from events.models import Event, Rule

PAGE_SIZE = 25


@role_required(Role.VIEWER)
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """The timeline; `?fragment=1` is the part events.js reloads when an event changes."""
    form = EventFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.event_list(
        stream_id=getattr(filters.get("stream"), "pk", None), rule_id=getattr(filters.get("rule"), "pk", None),
        class_name=filters.get("label") or "", zone_id=getattr(filters.get("zone"), "pk", None),
        since=filters.get("since"), until=filters.get("until"),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None), query.pop("fragment", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "class_names": selectors.class_names_seen()}
    template = "events/_event_list.html" if request.GET.get("fragment") else "events/events.html"
    return render(request, template, context)


@role_required(Role.VIEWER)
@require_GET
def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    return render(request, "events/event_detail.html", {"event": _get_event(event_id)})


@role_required(Role.OPERATOR)
@require_POST
def event_acknowledge(request: HttpRequest, event_id: str) -> HttpResponse:
    event = services.event_acknowledge(event=_get_event(event_id), actor=request_actor(request))
    messages.success(request, f"Event acknowledged by {event.acknowledged_by}.")
    return redirect("event-detail", event_id=event.pk)


@role_required(Role.VIEWER)
@require_GET
def stream_recent_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The stream page's recent events, reloaded in place by events.js."""
    return render(request, "events/_stream_events.html", {"stream_id": pk, "events": _recent(pk)})


def _recent(stream_id: int) -> list[Event]:
    return list(selectors.event_list(stream_id=stream_id)[:10])


def _get_event(event_id: str) -> Event:
    event = selectors.event_get(event_id=event_id)
    if event is None:
        raise Http404("No such event.")
    return event


@role_required(Role.VIEWER)
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    stream_id = request.GET.get("stream")
    rules = selectors.rule_list(stream_id=int(stream_id) if stream_id and stream_id.isdigit() else None)
    return render(request, "events/rules.html", {"rules": rules})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    initial = {"stream": request.GET.get("stream")} if request.GET.get("stream") else None
    form = RuleForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        rule = _save_rule(form, None, request_actor(request))
        if rule is not None:
            messages.success(request, f"Rule “{rule.name}” created.")
            return redirect("event-rules")
    return render(request, "events/rule_form.html", {"form": form, "rule": None})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule(pk)
    form = RuleForm(request.POST if request.method == "POST" else None, instance=_get_rule(pk))
    if form.is_bound and form.is_valid() and _save_rule(form, rule, request_actor(request)) is not None:
        messages.success(request, f"Rule “{rule.name}” saved.")
        return redirect("event-rules")
    return render(request, "events/rule_form.html", {"form": form, "rule": rule})


@role_required(Role.ADMIN)
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _get_rule(pk)
    services.rule_delete(rule=rule, actor=request_actor(request))
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("event-rules")


def _save_rule(form: RuleForm, rule: Rule | None, actor: str) -> Rule | None:
    data = dict(form.cleaned_data)
    try:
        if rule is None:
            return services.rule_create(actor=actor, **data)
        data.pop("stream")
        return services.rule_update(rule=rule, actor=actor, **data)
    except ValidationError as error:
        form_add_errors(form, error)
        return None


def _get_rule(pk: int) -> Rule:
    rule = selectors.rule_list().filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule
