"""Which features the programmes of a principal's region provide, for the navigation.

A feature is derived from a programme's own data, never from its code: a programme that covers
diseases runs 特门 filings, enrolments, hospital stays and retained cards (HY 第三章, HY-E08);
one with a stocktake period asks for stocktakes (HY-E06); one that files pharmacists with the
centre has a filing review (HY-E01). Guiyang's GY-PT sets none of these, so its users see none.

The answer is computed at login and kept in the session with a generation number held in the
cache: pages ask the database nothing for it (list pages pin their queries), and any change to
a programme, its regions or its diseases bumps the generation, so the next page asks again
(an organisation moved to another region is asked anew by its session key).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from accounts.principal import Principal
from programmes.models import Disease
from programmes.selectors import programmes_for_principal

TM = "tm"
STOCKTAKE = "stocktake"
PHARMACIST_FILING = "pharmacist_filing"
FEATURES = frozenset({TM, STOCKTAKE, PHARMACIST_FILING})

SESSION_KEY = "programme_features"


def _generation_key() -> str:
    # The generation describes one database's rows: processes on another database sharing the
    # cache (a test worker, a second deployment) must not move it.
    return f"programmes:features:generation:{connection.settings_dict['NAME']}"


def features_for_principal(principal: Principal) -> frozenset[str]:
    """The features of the programmes that apply to the principal (one query)."""
    rows = (
        programmes_for_principal(principal)
        .annotate(
            has_diseases=Exists(Disease.objects.filter(programme=OuterRef("pk"), is_active=True))
        )
        .values_list("has_diseases", "stocktake_period", "pharmacist_filing_required")
    )
    found: set[str] = set()
    for has_diseases, stocktake_period, pharmacist_filing in rows:
        if has_diseases:
            found.add(TM)
        if stocktake_period:
            found.add(STOCKTAKE)
        if pharmacist_filing:
            found.add(PHARMACIST_FILING)
    return frozenset(found)


def _generation() -> int:
    return int(cache.get(_generation_key()) or 0)


def _session_key(membership_pk: int, principal: Principal) -> str:
    # With the region: an organisation moved to another region gets its features anew.
    return f"{membership_pk}:{principal.organisation.region_id}"


def features_of_request(request: HttpRequest, principal: Principal) -> frozenset[str]:
    """The principal's features, from the session while the generation has not moved."""
    session: Any = getattr(request, "session", None)
    membership = getattr(request, "membership", None)
    if session is None or membership is None:
        return features_for_principal(principal)
    generation = _generation()
    stored = session.get(SESSION_KEY)
    if not stored or stored[0] != generation:
        stored = [generation, {}]
    by_membership: dict[str, list[str]] = stored[1]
    key = _session_key(membership.pk, principal)
    if key not in by_membership:
        by_membership[key] = sorted(features_for_principal(principal))
        session[SESSION_KEY] = stored
    return frozenset(by_membership[key])


def features_remember_at_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signal receiver (user_logged_in): each membership's features, so that no page after the
    login asks for them (a page's pinned query count stays what its own work needs)."""
    session: Any = getattr(request, "session", None)
    if session is None:
        return
    from accounts.selectors import memberships_for_user

    by_membership: dict[str, list[str]] = {}
    for membership in memberships_for_user(user):
        principal = Principal.from_membership(membership)
        key = _session_key(membership.pk, principal)
        by_membership[key] = sorted(features_for_principal(principal))
    session[SESSION_KEY] = [_generation(), by_membership]


def _bump() -> None:
    key = _generation_key()
    try:
        cache.incr(key)
    except ValueError:  # not set yet (or evicted): any new value differs from the sessions'
        cache.add(key, _generation() + 1, timeout=None)


def features_changed(**kwargs: Any) -> None:
    """Signal receiver: a programme, its regions or a disease changed. Bumped now (this request
    sees it) and again after the commit (so that a page computed between the two from the old
    rows is not kept)."""
    _bump()
    transaction.on_commit(_bump)
