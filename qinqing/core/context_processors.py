from qinqing.core.navigation import entries_for
from qinqing.core.permissions import grants_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_sections": entries_for(user),
        "unread_count": user.notifications.filter(read_at__isnull=True).count(),
        "user_roles": sorted(grants_of(user).roles),
    }
