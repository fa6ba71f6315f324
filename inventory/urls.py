from django.urls import path

from inventory import stocktake_batch, views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_overview, name="stock"),
    path("movements/", views.movement_list, name="movements"),
    path("movements/new/<str:kind>/", views.movement_create, name="movement_new"),
    path("movements/<int:pk>/", views.movement_detail, name="movement"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/", views.drug_edit, name="drug"),
    path("imports/", views.import_list, name="imports"),
    path("imports/sample.xlsx", views.import_sample, name="import_sample"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
    path("export/", views.purchase_export, name="export"),
    path("stocktakes/", views.stocktake_list, name="stocktakes"),
    path("stocktakes/batch/", stocktake_batch.stocktake_batch, name="stocktake_batch"),
    path("stocktakes/<int:pk>/", views.stocktake_detail, name="stocktake"),
    path("stocktakes/<int:pk>/sheet.xlsx", views.stocktake_sheet, name="stocktake_sheet"),
    path("stocktakes/<int:pk>/upload/", views.stocktake_upload, name="stocktake_upload"),
    path("stocktakes/<int:pk>/counted.xlsx", views.stocktake_counted_file, name="stocktake_file"),
    path("stocktakes/<int:pk>/blind/", views.stocktake_blind, name="stocktake_blind"),
    path("stocktakes/<int:pk>/review/", views.stocktake_review, name="stocktake_review"),
    path("stocktakes/<int:pk>/pdf/", views.stocktake_pdf, name="stocktake_pdf"),
    path("pharmacies/<int:pk>/", views.bureau_pharmacy_stock, name="pharmacy_stock"),
]
