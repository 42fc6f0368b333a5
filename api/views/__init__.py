"""The API's views, one module per resource; every object through assessments/access.py."""
