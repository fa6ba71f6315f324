"""The actions on an application and on a designation, declared once.

Each row says what the action takes (the page's form and the API's serializer, whose cleaned
data have the same keys), the service it calls, who may run it and in which states, and what
the user is told once it is done. The pages (accreditation.views) render their buttons and
dispatch their posts from these tables, and the API (accreditation.api) builds one `@action`
per row; neither holds a permission rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from accounts.models import Role, User
from accounts.principal import Principal
from accreditation import forms, services
from accreditation import serializers as io
from accreditation.models import ApplicationStatus as A
from accreditation.models import DesignationStatus as D
from core.errors import TransitionNotAllowed

Data = Mapping[str, Any]


class Side(StrEnum):
    PHARMACY = "pharmacy"
    BUREAU = "bureau"


def acts_for_pharmacy(principal: Principal) -> bool:
    """The pharmacy side: its manager in a session, or its own system with an API key."""
    return not principal.is_bureau and (
        principal.api_key is not None or principal.has_role(Role.PHARMACY_MANAGER)
    )


def may_act(principal: Principal, side: Side) -> bool:
    """The one permission rule of the designation workflow: the pharmacy side is the pharmacy's
    manager (or its API key), the bureau side the agreement section's reviewer."""
    if side == Side.PHARMACY:
        return acts_for_pharmacy(principal)
    return principal.has_role(Role.BUREAU_REVIEWER)


@dataclass(frozen=True)
class Action:
    """One action on an application or a designation."""

    # The page's URL slug (…/do/<name>/) and the API's path (…/<api_path>/): both published.
    name: str
    api_path: str
    label: Promise
    side: Side
    # The object's states in which the action is offered (and allowed).
    states: frozenset[str]
    # The service call: (object, acting user, cleaned input) → the service's result.
    run: Callable[[Any, User, Data], object]
    # What happened and what comes next.
    success: Promise
    form: type[forms.ActionForm] | None = None
    serializer: type[serializers.Serializer[Any]] | None = None
    # A further condition for offering the action (beyond the states).
    when: Callable[[Any], bool] | None = None
    button: str = "primary"
    multipart: bool = False
    # The heading of the action's card where it has one of its own (designation page).
    heading: Promise | str = ""
    # Irreversible or outward-facing: what it leads to (object → text), shown on the page's
    # confirmation step (core.actions.confirm_page) before it runs. The API has no such step.
    consequence: Callable[[Any], str] | None = None

    def offered(self, obj: Any) -> bool:
        return obj.status in self.states and (self.when is None or self.when(obj))

    def build_form(self, obj: Any, data: Any = None, files: Any = None) -> forms.ActionForm | None:
        if self.form is None:
            return None
        return self.form(data, files, obj=obj, action=self.name)


def check_side(principal: Principal, action: Action) -> None:
    """Not this caller's action: 404, as for an object that is not theirs."""
    if not may_act(principal, action.side):
        raise Http404


def perform(action: Action, obj: Any, *, principal: Principal, actor: User, data: Data) -> object:
    """Run `action` on `obj`: the permission rule (side, then state), then its service. The
    service re-checks the state on the locked row; this check names the action refused."""
    check_side(principal, action)
    if not action.offered(obj):
        raise TransitionNotAllowed(
            _("当前状态“%(status)s”下不能办理“%(action)s”。")
            % {"status": obj.get_status_display(), "action": action.label}
        )
    return action.run(obj, actor, data)


def offered(actions: Mapping[str, Action], principal: Principal, obj: Any) -> list[Action]:
    """The actions this caller may run on `obj` now, in the table's order."""
    return [a for a in actions.values() if may_act(principal, a.side) and a.offered(obj)]


def _days(days: int | None, with_days: str, without: str) -> str:
    """A consequence with a deadline from a programme parameter (or none where it has none)."""
    return with_days % {"days": days} if days else without


def _fail_consequence(a: Any) -> str:
    return _days(
        a.programme.feedback_working_days,
        _("评估不合格后将出具反馈意见书，%(days)s个工作日内送达药店；申请随之终结，不能撤销。"),
        _("评估不合格后将出具反馈意见书送达药店；申请随之终结，不能撤销。"),
    )


def _pass_consequence(a: Any) -> str:
    return _days(
        a.programme.notice_working_days,
        _("评估合格后将向社会公示%(days)s个工作日，公示期满后签订定点服务协议；结论不能撤销。"),
        _("评估合格后即可签订定点服务协议；结论不能撤销。"),
    )


def _table(*actions: Action) -> dict[str, Action]:
    return {a.name: a for a in actions}


OPEN_REVIEW = frozenset({A.ACCEPTED, A.INSPECTION})

APPLICATION_ACTIONS: dict[str, Action] = _table(
    Action(
        name="documents",
        api_path="documents",
        label=gettext_lazy("上传"),
        side=Side.PHARMACY,
        states=frozenset({A.DRAFT, A.SUPPLEMENT}),
        run=lambda a, u, d: services.application_document_upload(
            application=a, kind=d["kind"], upload=d["file"], actor=u
        ),
        success=gettext_lazy("材料已上传。清单中的材料齐全后，请提交申请（或补充材料）。"),
        form=forms.DocumentForm,
        serializer=io.DocumentSerializer,
        button="",
        multipart=True,
    ),
    Action(
        name="pledges",
        api_path="pledges",
        label=gettext_lazy("保存承诺"),
        side=Side.PHARMACY,
        states=frozenset({A.DRAFT}),
        run=lambda a, u, d: services.application_set_pledges(
            application=a, truthful=d["truthful"], security=d["security"], actor=u
        ),
        success=gettext_lazy("承诺已保存。材料齐全后即可提交申请。"),
        form=forms.PledgeForm,
        serializer=io.PledgeSerializer,
        button="",
    ),
    Action(
        name="submit",
        api_path="submit",
        label=gettext_lazy("提交申请"),
        side=Side.PHARMACY,
        states=frozenset({A.DRAFT}),
        run=lambda a, u, d: services.application_submit(application=a, actor=u),
        consequence=lambda a: _("申请将提交医保中心受理；提交后不能再修改材料和承诺。"),
        success=gettext_lazy("申请已提交，请等待医保中心受理。"),
    ),
    Action(
        name="supplemented",
        api_path="supplemented",
        label=gettext_lazy("补充材料已上传，提交"),
        side=Side.PHARMACY,
        states=frozenset({A.SUPPLEMENT}),
        run=lambda a, u, d: services.application_supplement_done(application=a, actor=u),
        consequence=lambda a: _("补充材料将提交医保中心，评估期限继续计算；提交后不能再修改。"),
        success=gettext_lazy("补充材料已提交，评估期限继续计算，请等待医保中心评估。"),
    ),
    Action(
        name="accept",
        api_path="accept",
        label=gettext_lazy("受理"),
        side=Side.BUREAU,
        states=frozenset({A.SUBMITTED}),
        run=lambda a, u, d: services.application_accept(application=a, actor=u),
        consequence=lambda a: _("受理后将通知药店，评估期限开始计算。"),
        success=gettext_lazy("申请已受理，评估期限开始计算。下一步：书面审核申请材料。"),
    ),
    Action(
        name="supplement",
        api_path="request-supplement",
        label=gettext_lazy("要求补充材料"),
        side=Side.BUREAU,
        states=OPEN_REVIEW,
        run=lambda a, u, d: services.application_request_supplement(
            application=a, note=d["note"], actor=u
        ),
        success=gettext_lazy("已通知药店补充材料；评估期限暂停，药店提交补充材料后继续计算。"),
        consequence=lambda a: _("将通知药店补充材料，评估期限暂停至药店提交补充材料。"),
        form=forms.NoteForm,
        serializer=io.NoteSerializer,
        button="",
    ),
    Action(
        name="inspect",
        api_path="start-inspection",
        label=gettext_lazy("书面审核完成，进行现场查勘"),
        side=Side.BUREAU,
        states=frozenset({A.ACCEPTED}),
        run=lambda a, u, d: services.application_start_inspection(application=a, actor=u),
        success=gettext_lazy("书面审核已完成。现场查勘后，请在本页记录查勘结果。"),
    ),
    Action(
        name="inspection",
        api_path="inspection",
        label=gettext_lazy("保存查勘结果"),
        side=Side.BUREAU,
        states=frozenset({A.INSPECTION}),
        run=lambda a, u, d: services.application_record_inspection(
            application=a, results=d["items"], notes=d["notes"], actor=u
        ),
        success=gettext_lazy("查勘结果已保存。各项符合后，即可作出评估结论。"),
        form=forms.InspectionForm,
        serializer=io.InspectionSerializer,
        button="",
    ),
    Action(
        name="pass",
        api_path="pass",
        label=gettext_lazy("评估合格"),
        side=Side.BUREAU,
        states=frozenset({A.INSPECTION}),
        run=lambda a, u, d: services.application_pass(
            application=a, reason=d["note"], acknowledged=d["acknowledged"], actor=u
        ),
        consequence=_pass_consequence,
        success=gettext_lazy(
            "评估合格已记录。公示期结束后（无需公示的方案即时）签订定点服务协议。"
        ),
        form=forms.PassForm,
        serializer=io.PassSerializer,
    ),
    Action(
        name="fail",
        api_path="fail",
        label=gettext_lazy("评估不合格"),
        side=Side.BUREAU,
        states=OPEN_REVIEW,
        run=lambda a, u, d: services.application_fail(application=a, reason=d["note"], actor=u),
        consequence=_fail_consequence,
        success=gettext_lazy("评估不合格已记录。请在反馈截止日前发出评估结果反馈函。"),
        form=forms.FailForm,
        serializer=io.NoteSerializer,
        button="danger",
    ),
    Action(
        name="feedback",
        api_path="feedback",
        label=gettext_lazy("发出评估结果反馈函"),
        side=Side.BUREAU,
        states=frozenset({A.FAILED}),
        when=lambda a: a.feedback_sent_on is None,
        run=lambda a, u, d: services.application_send_feedback(application=a, actor=u),
        consequence=lambda a: _("评估结果反馈函将发给药店，申请随之办结，不能撤销。"),
        success=gettext_lazy("评估结果反馈函已发出，申请办结；反馈函可在本页下载。"),
    ),
    Action(
        name="sign",
        api_path="sign",
        label=gettext_lazy("签订定点服务协议"),
        side=Side.BUREAU,
        states=frozenset({A.PASSED}),
        run=lambda a, u, d: services.application_sign_agreement(application=a, actor=u),
        consequence=lambda a: _(
            "签订后定点资格即日生效，药店列入定点药店名单并向社会公开；不能撤销。"
        ),
        success=gettext_lazy("定点服务协议已签订，定点资格即日生效；协议可在本页下载。"),
    ),
)

DESIGNATION_ACTIONS: dict[str, Action] = _table(
    Action(
        name="assess",
        api_path="assess",
        label=gettext_lazy("记录考核结果"),
        side=Side.BUREAU,
        states=frozenset({D.ACTIVE, D.RECTIFICATION}),
        run=lambda g, u, d: services.designation_assess(
            designation=g,
            result=d["result"],
            notes=d["notes"],
            rectification_until=d["rectification_until"],
            actor=u,
        ),
        consequence=lambda g: _(
            "考核结果将记入定点资格，其状态随之更新（续签、整改或取消）；不能撤销。"
        ),
        success=gettext_lazy(
            "考核结果已记录，定点资格状态已随之更新（续签、整改或取消）；详见办理记录。"
        ),
        form=forms.AssessmentForm,
        heading=gettext_lazy("年度考核"),
        serializer=io.AssessmentSerializer,
    ),
    Action(
        name="violation",
        api_path="violations",
        label=gettext_lazy("记录处理决定"),
        side=Side.BUREAU,
        states=frozenset(D.values),
        run=lambda g, u, d: services.violation_record(
            pharmacy=g.pharmacy, programme=g.programme, actor=u, **d
        ),
        consequence=lambda g: _(
            "处理决定即时生效，记入药店的违规记录；重大违规影响今后的定点申请。不能撤销。"
        ),
        success=gettext_lazy("违规处理已记录，处理决定即时生效；详见违规记录和办理记录。"),
        form=forms.ViolationForm,
        heading=gettext_lazy("违规处理"),
        serializer=io.ViolationSerializer,
        button="danger",
    ),
)
