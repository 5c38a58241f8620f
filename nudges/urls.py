from django.urls import path

from . import views

app_name = "nudges"
urlpatterns = [
    path("sos/", views.sos, name="sos"),
]
