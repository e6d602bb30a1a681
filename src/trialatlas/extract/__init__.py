"""Understanding trial text: structure read out of free-text registry fields.

Eligibility criteria and regimens (doses, schedules, arm timelines) are parsed here."""
