"""Export: the trial model written out in other formats (ClinicalTrials.gov v2 JSON, JSONL, CSV, FHIR)."""
