"""Writes of the patients app, by subject: `registry` (patients, hospital profiles), `filings`
(filings, rosters, expert decisions), `enrolments` (enrolments and chosen institutions), `stays`
(hospital stays), `cards` (retained cards and proxies). Callers import from here."""

from patients.services.cards import (
    SPECIAL_CATEGORIES,
    proxy_authorise,
    retention_apply,
    retention_decide,
    retention_record_retained,
    retention_record_returned,
)
from patients.services.enrolments import (
    choices_mark_institution_revoked,
    enrolment_choose_institution,
    enrolment_end,
)
from patients.services.filings import (
    PatientDetails,
    filing_assign,
    filing_decide,
    filing_decide_immediately,
    filing_lodge,
    filing_material_upload,
    filing_preliminary_review,
    roster_assign,
    roster_submit,
)
from patients.services.registry import (
    hospital_profile_update,
    outpatient_person_register,
    patient_register,
    patient_reveal_resident_id,
)
from patients.services.stays import (
    STAY_ADMISSION_MAX_AGE_DAYS,
    stay_discharge,
    stay_patient_not_found,
    stay_record,
    stay_record_by_resident_id,
    stays_import,
)

__all__ = [
    "SPECIAL_CATEGORIES",
    "STAY_ADMISSION_MAX_AGE_DAYS",
    "PatientDetails",
    "choices_mark_institution_revoked",
    "enrolment_choose_institution",
    "enrolment_end",
    "filing_assign",
    "filing_decide",
    "filing_decide_immediately",
    "filing_lodge",
    "filing_material_upload",
    "filing_preliminary_review",
    "hospital_profile_update",
    "outpatient_person_register",
    "patient_register",
    "patient_reveal_resident_id",
    "proxy_authorise",
    "retention_apply",
    "retention_decide",
    "retention_record_retained",
    "retention_record_returned",
    "roster_assign",
    "roster_submit",
    "stay_discharge",
    "stay_patient_not_found",
    "stay_record",
    "stay_record_by_resident_id",
    "stays_import",
]
