from django.urls import path

from . import views

app_name = "checkins"
urlpatterns = [
    path("", views.today, name="today"),
    path("day/<str:date>/", views.day, name="day"),
    path("history/", views.history, name="history"),
    path("sobriety/", views.sobriety, name="sobriety"),
    path("sobriety/restart/", views.sobriety_restart, name="sobriety_restart"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/schedule/", views.questionnaire_schedule, name="questionnaire_schedule"),
    path(
        "questionnaires/results/<uuid:pk>/", views.questionnaire_result, name="questionnaire_result"
    ),
    path("questionnaires/<str:instrument>/", views.questionnaire_take, name="questionnaire_take"),
    path("shared/<uuid:tie_id>/", views.shared, name="shared"),
    path("shared/<uuid:tie_id>/schedule/", views.therapist_schedule, name="therapist_schedule"),
]
