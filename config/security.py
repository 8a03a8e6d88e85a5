"""Security headers on every response: Content-Security-Policy and private caching."""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers

# The back office runs CKEditor 5, which sets inline styles and shows a pasted image from a
# blob: URL before it is uploaded. Those are the only exceptions, and only there: scripts stay
# 'self' everywhere (Django's admin, import-export and CKEditor 5 run no inline script).
BACK_OFFICE_PREFIXES = ("/admin/", "/editor/")
BACK_OFFICE_EXCEPTIONS = {"style-src": ["'unsafe-inline'"], "img-src": ["blob:"]}


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY) on every response, with the back
    office's exceptions; `Cache-Control: private` and `Vary: Cookie` on every page.

    Every page but the login is internal or personal, so no shared cache may keep one; static
    files keep the long public caching WhiteNoise gives them.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(BACK_OFFICE_PREFIXES) and parts.update is None:
            parts.update = BACK_OFFICE_EXCEPTIONS
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if not request.path_info.startswith(f"/{settings.STATIC_URL.strip('/')}/"):
            if "Cache-Control" in response:
                patch_cache_control(response, private=True)
            else:
                patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
        return response
