from django.conf import settings


def publication(request):
    """Give every template the publication's name and publisher."""
    return {
        "publication_name": settings.PUBLICATION_NAME,
        "publication_publisher": settings.PUBLICATION_PUBLISHER,
    }
