"""Applications and designations over the API: the pharmacy creates, uploads, submits and reads
the status; the agreement section performs the review actions. Each action's route is built
from its row in accreditation.actions, the table the pages use too: one service per action,
one permission rule."""

from __future__ import annotations

import keyword
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, permissions, serializers, viewsets
from rest_framework.decorators import action as route
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedViewSetMixin, acting_user, principal_for_request
from accounts.principal import Principal
from accreditation import services
from accreditation.actions import (
    APPLICATION_ACTIONS,
    DESIGNATION_ACTIONS,
    Action,
    acts_for_pharmacy,
    check_side,
    perform,
)
from accreditation.models import Application, Designation
from accreditation.selectors import applications_for_principal, designations_for_principal
from accreditation.serializers import (
    ApplicationDetailSerializer,
    ApplicationSerializer,
    DesignationSerializer,
)
from pharmacies.selectors import pharmacies_for_principal


class ActionRoutesMixin(viewsets.GenericViewSet):
    """Runs the actions of a table on the viewset's (scoped) object and answers with the
    object as `output_serializer` shows it."""

    output_serializer: type[serializers.Serializer[Any]]

    def run_action(self, action: Action, request: Request) -> Response:
        principal = principal_for_request(request)
        check_side(principal, action)
        obj: Model = self.get_object()
        data: dict[str, Any] = {}
        if action.serializer is not None:
            given = action.serializer(data=request.data)
            given.is_valid(raise_exception=True)
            data = dict(given.validated_data)
        perform(action, obj, principal=principal, actor=acting_user(request), data=data)
        obj.refresh_from_db()
        return Response(self.output_serializer(obj).data)


def _route(action: Action, output: type[serializers.Serializer[Any]]) -> Any:
    def handler(self: ActionRoutesMixin, request: Request, pk: str | None = None) -> Response:
        return self.run_action(action, request)

    # DRF names the route after the method: the names the hand-written methods had.
    name = action.api_path.replace("-", "_")
    handler.__name__ = f"{name}_" if keyword.iskeyword(name) else name
    handler.__doc__ = (
        f"{action.label}: the {action.side} side, "
        f"when the status is one of: {', '.join(sorted(action.states))}."
    )
    multipart = [parsers.MultiPartParser, parsers.FormParser]
    decorated = route(
        detail=True,
        methods=["post"],
        url_path=action.api_path,
        **({"parser_classes": multipart} if action.multipart else {}),  # type: ignore[arg-type]
    )(handler)
    return extend_schema(request=action.serializer, responses=output, summary=str(action.label))(
        decorated
    )


def with_actions(table: dict[str, Action], output: type[serializers.Serializer[Any]]) -> Any:
    """Class decorator: one POST route per row of `table`, answering with `output`."""

    def decorate(cls: type[ActionRoutesMixin]) -> type[ActionRoutesMixin]:
        cls.output_serializer = output
        for action in table.values():
            handler = _route(action, output)
            setattr(cls, handler.__name__, handler)
        return cls

    return decorate


@with_actions(APPLICATION_ACTIONS, ApplicationSerializer)
class ApplicationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ActionRoutesMixin,
):
    """Designation applications: pharmacies see their own, the bureau its region's."""

    queryset = Application.objects.none()
    serializer_class = ApplicationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def scope_queryset(self, principal: Principal) -> QuerySet[Application]:
        qs = applications_for_principal(principal)
        if self.action == "retrieve":
            qs = qs.prefetch_related("events__actor")
        return qs

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return ApplicationDetailSerializer
        return ApplicationSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = principal_for_request(request)
        if not acts_for_pharmacy(principal):
            raise NotFound
        serializer = ApplicationSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        programme = serializer.validated_data["programme"]
        pharmacy = pharmacies_for_principal(principal).first()
        if pharmacy is None:
            raise NotFound
        application = services.application_create(
            pharmacy=pharmacy, programme=programme, actor=acting_user(request)
        )
        return Response(ApplicationSerializer(application).data, status=201)


@with_actions(DESIGNATION_ACTIONS, DesignationSerializer)
class DesignationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ActionRoutesMixin,
):
    """Designations: read by the pharmacy and the bureau; assessed and sanctioned by the
    agreement section (HY-E09, HY-C05, HY-C06, HY-E10, GY-E04, GY-B02)."""

    queryset = Designation.objects.none()
    serializer_class = DesignationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def scope_queryset(self, principal: Principal) -> QuerySet[Designation]:
        return designations_for_principal(principal)
