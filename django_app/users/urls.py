"""Routes of the users feature."""

from django.urls import URLPattern, re_path

from users import api, session

urlpatterns: list[URLPattern] = [
    re_path(r"^api/v1/users/?$", api.UserCreateView.as_view(), name="users-list"),
    re_path(r"^api/v1/users/me/?$", api.UserMeView.as_view(), name="users-me"),
    re_path(r"^api/v1/users/me/emails/?$", api.UserEmailsView.as_view(), name="users-emails"),
    re_path(
        r"^api/v1/users/(?P<user_id>[^/]+)/?$", api.UserDetailView.as_view(), name="users-detail"
    ),
    re_path(r"^api/v1/auth/token/?$", api.TokenView.as_view(), name="auth-token"),
    re_path(r"^api/v1/preferences/?$", api.PreferencesView.as_view(), name="preferences"),
    re_path(r"^auth/login/?$", session.LoginView.as_view(), name="session-login"),
    re_path(r"^auth/whoami/?$", session.WhoAmIView.as_view(), name="session-whoami"),
    re_path(r"^auth/logout/?$", session.LogoutView.as_view(), name="session-logout"),
]
