from django.urls import path

from qinqing.bidding.award import views as award_views
from qinqing.bidding.bids import views as bid_views
from qinqing.bidding.draw import dashboard_views
from qinqing.bidding.draw import views as draw_views
from qinqing.bidding.evaluation import live_views
from qinqing.bidding.evaluation import views as evaluation_views
from qinqing.bidding.experts import self_service_views
from qinqing.bidding.experts import views as expert_views
from qinqing.bidding.opening import views as opening_views
from qinqing.bidding.projects import views as project_views
from qinqing.bidding.report import views as report_views
from qinqing.bidding.screening import views as screening_views
from qinqing.bidding.seating import views as seating_views
from qinqing.bidding.viewer import views as viewer_views

app_name = "bidding"
urlpatterns = [
    path("", project_views.session_list, name="session_list"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("projects/new/", project_views.project_new, name="project_new"),
    path("sessions/<int:pk>/", draw_views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/close/", draw_views.session_close, name="session_close"),
    path("sessions/<int:pk>/start/", evaluation_views.session_start, name="session_start"),
    path("sessions/<int:pk>/chair/", seating_views.chair_appoint, name="chair_appoint"),
    path("quotas/<int:pk>/draw/", draw_views.draw_commit, name="draw_commit"),
    path("quotas/<int:pk>/exclude/", draw_views.quota_exclude, name="quota_exclude"),
    path("draws/<str:draw_id>/", draw_views.draw_detail, name="draw_detail"),
    path("proofs/", draw_views.proof_list, name="proof_list"),
    path("proofs/<str:draw_id>/", draw_views.proof_detail, name="proof_detail"),
    path("draws/<str:draw_id>/names/", draw_views.draw_names, name="draw_names"),
    path("outcomes/<int:pk>/answer/", draw_views.outcome_answer, name="outcome_answer"),
    path("respond/<str:token>/", draw_views.respond, name="respond"),
    path("experts/", expert_views.expert_list, name="expert_list"),
    path("experts/import/", expert_views.expert_import, name="expert_import"),
    path("experts/template.xlsx", expert_views.expert_template, name="expert_template"),
    path("experts/<int:pk>/", expert_views.expert_detail, name="expert_detail"),
    path("rooms/", seating_views.room_list, name="room_list"),
    path("rooms/catalogue/", seating_views.room_catalogue, name="room_catalogue"),
    path("rooms/<int:pk>/", seating_views.room_detail, name="room_detail"),
    path("seating/", seating_views.seating_list, name="seating_list"),
    path("seating/<int:pk>/", seating_views.seating_detail, name="seating_detail"),
    path("signin/", seating_views.signin, name="signin"),
    path("expert/", self_service_views.start, name="self_start"),
    path("expert/me/", self_service_views.home, name="self_home"),
    path("expert/signout/", self_service_views.sign_out, name="self_signout"),
    path("workstation/", seating_views.workstation, name="workstation"),
    # the collusion screening (清标) of the unsealed bids: screening/views.py
    path("screening/<int:pk>/", screening_views.report, name="screening_report"),
    path(
        "workstation/screening/",
        screening_views.workstation_report,
        name="workstation_screening",
    ),
    path("workstation/signout/", seating_views.signout, name="signout"),
    # the evaluation: sheets, deviation notes, the chair (evaluation_views.py)
    path(
        "workstation/sheet/<str:stage>/",
        evaluation_views.workstation_sheet,
        name="workstation_sheet",
    ),
    path("workstation/action/", evaluation_views.workstation_action, name="workstation_action"),
    path("workstation/ping/", evaluation_views.workstation_ping, name="workstation_ping"),
    path(
        "workstation/committee/<str:stage>/",
        evaluation_views.committee_stage,
        name="committee_stage",
    ),
    path("sessions/<int:pk>/scoring/", evaluation_views.session_scoring, name="session_scoring"),
    path("sessions/<int:pk>/lot/", evaluation_views.lot_witness, name="lot_witness"),
    path(
        "sessions/<int:pk>/coefficient/",
        evaluation_views.session_coefficient,
        name="session_coefficient",
    ),
    path(
        "workstation/low-bids/", evaluation_views.workstation_low_bids, name="workstation_low_bids"
    ),
    path(
        "sessions/<int:pk>/members/<int:seat_pk>/withdraw/",
        evaluation_views.member_withdraw,
        name="member_withdraw",
    ),
    # the report, signatures, ratings and fees (Art.53): report_views.py
    path("sessions/<int:pk>/report/", report_views.report_detail, name="report_detail"),
    path("sessions/<int:pk>/report/build/", report_views.report_build, name="report_build"),
    path("sessions/<int:pk>/report/refusal/", report_views.report_refusal, name="report_refusal"),
    path("sessions/<int:pk>/report/rate/", report_views.report_rate, name="report_rate"),
    path("sessions/<int:pk>/report/pdf/", report_views.report_pdf, name="report_pdf"),
    path("sessions/<int:pk>/fees/", report_views.fee_sheet, name="fee_sheet"),
    path("sessions/<int:pk>/fees.xlsx", report_views.fee_export, name="fee_export"),
    path("fees/standards/", report_views.fee_standards, name="fee_standards"),
    path("workstation/time/", evaluation_views.workstation_time, name="workstation_time"),
    path(
        "sessions/<int:pk>/representatives/",
        seating_views.session_representatives,
        name="session_representatives",
    ),
    path("sessions/<int:pk>/time/", evaluation_views.session_time, name="session_time"),
    path("workstation/report/", report_views.workstation_report, name="workstation_report"),
    # clarifications (Art.52), live supervision and incidents: live_views.py
    path("live/", live_views.live_list, name="live_list"),
    path("sessions/<int:pk>/live/", live_views.live, name="live"),
    path("sessions/<int:pk>/live/board/", live_views.live_board, name="live_board"),
    path("sessions/<int:pk>/incidents/", live_views.incident_open, name="incident_open"),
    path("incidents/<int:pk>/resolve/", live_views.incident_resolve, name="incident_resolve"),
    path(
        "sessions/<int:pk>/clarifications/",
        live_views.session_clarifications,
        name="session_clarifications",
    ),
    path(
        "clarifications/<int:pk>/review/",
        live_views.clarification_review,
        name="clarification_review",
    ),
    path("clarifications/", live_views.bidder_clarifications, name="bidder_clarifications"),
    path("clarifications/<int:pk>/", live_views.bidder_clarification, name="bidder_clarification"),
    path(
        "workstation/clarifications/",
        live_views.workstation_clarifications,
        name="workstation_clarifications",
    ),
    # sealed bids (QQ-SEAL-1): bids/views.py
    path("bids/", bid_views.my_bids, name="my_bids"),
    path("bids/sections/<int:section_pk>/seal/", bid_views.bid_seal, name="bid_seal"),
    path("bids/<int:pk>/withdraw/", bid_views.bid_withdraw, name="bid_withdraw"),
    path("bids/receipts/<int:pk>/", bid_views.bid_receipt, name="bid_receipt"),
    path(
        "bids/receipts/<int:pk>/download/",
        bid_views.bid_receipt_download,
        name="bid_receipt_download",
    ),
    path("bids/received/", bid_views.received_list, name="received_list"),
    path("bids/received/<int:pk>/", bid_views.section_received, name="section_received"),
    # the remote opening (不见面开标): opening/views.py
    path("openings/", opening_views.hall_list, name="opening_list"),
    path("openings/sections/<int:pk>/", opening_views.hall, name="opening_hall"),
    path("openings/sections/<int:pk>/live/", opening_views.hall_live, name="opening_live"),
    path("openings/sections/<int:pk>/start/", opening_views.start, name="opening_start"),
    path("openings/sections/<int:pk>/objections/", opening_views.object_, name="opening_object"),
    path("openings/sections/<int:pk>/close/", opening_views.close, name="opening_close"),
    path("openings/objections/<int:pk>/answer/", opening_views.answer, name="opening_answer"),
    path("openings/records/", opening_views.record_list, name="opening_records"),
    path("openings/records/<int:pk>/", opening_views.record, name="opening_record"),
    path("openings/records/<int:pk>/pdf/", opening_views.record_pdf, name="opening_record_pdf"),
    # the bid documents at the workstation (PDF.js) and the read log: viewer/views.py
    path(
        "workstation/documents/",
        viewer_views.workstation_documents,
        name="workstation_documents",
    ),
    path(
        "workstation/documents/<int:pk>/pdf/",
        viewer_views.document_pdf,
        name="workstation_document_pdf",
    ),
    path(
        "workstation/documents/reads/",
        viewer_views.document_reads,
        name="workstation_document_reads",
    ),
    path("sessions/<int:pk>/reads/", viewer_views.session_reads, name="session_reads"),
    # from the report to the award (实施条例 Art.54-62, 招标投标法 Art.45): award/views.py
    path("award/", award_views.award_list, name="award_list"),
    path("sections/<int:pk>/award/", award_views.award_detail, name="award_detail"),
    path("sections/<int:pk>/award/publish/", award_views.publish, name="award_publish"),
    path("sections/<int:pk>/award/objections/", award_views.object_, name="award_object"),
    path("sections/<int:pk>/award/complaints/", award_views.complain, name="award_complain"),
    path("sections/<int:pk>/award/contract/", award_views.contract, name="award_contract"),
    path("sections/<int:pk>/award/succession/", award_views.succession, name="award_succession"),
    path("sections/<int:pk>/award/issue/", award_views.issue, name="award_issue"),
    path("award/objections/<int:pk>/answer/", award_views.answer, name="award_answer"),
    path(
        "award/complaints/<int:pk>/<str:step>/",
        award_views.complaint_handle,
        name="award_complaint_handle",
    ),
    path("award/notices/<int:pk>/", award_views.notice, name="award_notice"),
    path("award/notices/<int:pk>/pdf/", award_views.notice_pdf, name="award_notice_pdf"),
    path("candidates/", award_views.public_list, name="candidates"),
    path("candidates/<int:pk>/", award_views.public_detail, name="candidate_publication"),
]
