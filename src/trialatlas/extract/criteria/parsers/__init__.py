"""The built-in rule parsers; importing this package registers one parser per rule kind."""

from trialatlas.extract.criteria.parsers import administrative, clinical, demographics, measurement

__all__ = ["administrative", "clinical", "demographics", "measurement"]
