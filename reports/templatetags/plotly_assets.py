"""`{% plotly_js %}` and `{% plotly_css %}`: the static URLs of the vendored plotly.js files,
whose version reports/vendor.py names once."""

from __future__ import annotations

from django import template
from django.templatetags.static import static

from reports import vendor

register = template.Library()


@register.simple_tag
def plotly_js() -> str:
    return static(vendor.PLOTLY_JS)


@register.simple_tag
def plotly_css() -> str:
    return static(vendor.PLOTLY_CSS)
