from django.urls import path

from prescriptions import views

app_name = "prescriptions"

urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("counter/register/", views.counter_register, name="counter_register"),
    path("counter/<int:pk>/dispense/", views.counter_dispense, name="dispense"),
    path("counter/<int:pk>/quote/", views.counter_quote, name="quote"),
    path("dispensings/", views.dispensing_list, name="dispensings"),
    path("dispensings/<int:pk>/", views.dispensing_detail, name="dispensing"),
    path("dispensings/<int:pk>/slip.pdf", views.dispensing_slip, name="slip"),
    path("dispensings/<int:pk>/return/", views.dispensing_return_view, name="return"),
    path("dispensings/<int:pk>/delivery/", views.delivery_create, name="delivery"),
    path("archive/<int:patient_pk>/", views.archive, name="archive"),
    path("statement/", views.statement, name="statement"),
    path("prescriptions/", views.prescription_list, name="prescriptions"),
    path("prescriptions/issue/", views.prescription_issue, name="prescription_issue"),
    path("prescriptions/record/", views.prescription_record, name="prescription_record"),
    path("prescriptions/<int:pk>/", views.prescription_detail, name="prescription"),
    path("prescriptions/<int:pk>/slip.pdf", views.prescription_pdf, name="prescription_pdf"),
    path("prescriptions/<int:pk>/seal/", views.prescription_seal, name="prescription_seal"),
]
