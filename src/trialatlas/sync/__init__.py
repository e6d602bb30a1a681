"""Keeping the store current with ClinicalTrials.gov: the API v2 client, incremental and resumable
sync runs, and bootstrapping from the bulk download."""

from __future__ import annotations

from trialatlas.errors import SyncError
from trialatlas.sync.bulk import bootstrap
from trialatlas.sync.client import API_BASE, CtgovApi, HttpClient, HttpResponse, RetryPolicy
from trialatlas.sync.service import SyncReport, sync

__all__ = [
    "API_BASE",
    "CtgovApi",
    "HttpClient",
    "HttpResponse",
    "RetryPolicy",
    "SyncError",
    "SyncReport",
    "bootstrap",
    "sync",
]
