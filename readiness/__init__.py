# The Celery app is loaded with Django, so that tasks queued by the web processes use its
# configuration (readiness/celery.py).
from readiness.celery import app as celery_app

__all__ = ("celery_app",)
