"""The back office for issues and articles: state buttons, history, preview, the step log."""

from apps.workflow.admin import articles, base, issues

__all__ = ["articles", "base", "issues"]
