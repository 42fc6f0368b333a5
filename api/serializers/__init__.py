"""The API's JSON shapes, one module per resource. Output serializers read model rows the
views fetched (through assessments/access.py); input serializers only check the JSON's
shape, the rules are the page forms' and services'."""
