from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter

from accounts.api import ApiKeyViewSet, WhoAmIView
from accreditation.api import ApplicationViewSet, DesignationViewSet
from accreditation.urls import public_urlpatterns
from core.api import SchemaView, SwaggerView
from inventory.api import (
    MovementViewSet,
    PurchaseImportViewSet,
    StockBatchViewSet,
    StocktakeViewSet,
)
from patients.api import FilingViewSet, HospitalStayViewSet
from pharmacies.api import EvidenceViewSet, PharmacyViewSet, StaffViewSet
from prescriptions.api import DispensingViewSet, EligibilityViewSet
from programmes.api import ProgrammeViewSet
from supervision.api import FindingViewSet


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico on every page that names no icon (PDFs, the API's pages);
    a 404 there is a console error on each. The icon is a static file (no CDN)."""

    permanent = True

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("favicon.svg")


router = DefaultRouter()
# The POS calls first: a request's URL is matched against the patterns in order.
router.register("pos/dispensings", DispensingViewSet, basename="pos-dispensing")
router.register("pos/eligibility", EligibilityViewSet, basename="pos-eligibility")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("pharmacies", PharmacyViewSet, basename="pharmacy")
router.register("staff", StaffViewSet, basename="staff")
router.register("staff-evidence", EvidenceViewSet, basename="staff-evidence")
router.register("applications", ApplicationViewSet, basename="application")
router.register("designations", DesignationViewSet, basename="designation")
router.register("tm/filings", FilingViewSet, basename="tm-filing")
router.register("tm/hospital-stays", HospitalStayViewSet, basename="tm-hospital-stay")
router.register("stock-batches", StockBatchViewSet, basename="stock-batch")
router.register("stock-movements", MovementViewSet, basename="stock-movement")
router.register("purchase-imports", PurchaseImportViewSet, basename="purchase-import")
router.register("stocktakes", StocktakeViewSet, basename="stocktake")
router.register("findings", FindingViewSet, basename="finding")

api_v1 = [
    path("whoami/", WhoAmIView.as_view(), name="whoami"),
    *router.urls,
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),  # first: the POS hot path
    path("", include("accounts.core_urls")),
    path("accounts/", include("accounts.urls")),
    path("programmes/", include("programmes.urls")),
    path("pharmacy/", include("pharmacies.urls")),
    path("accreditation/", include("accreditation.urls")),
    path("public/", include((public_urlpatterns, "public"), namespace="public")),
    path("tm/", include("patients.urls")),
    path("inventory/", include("inventory.urls")),
    path("supervision/", include("supervision.urls")),
    path("dispensing/", include("prescriptions.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
