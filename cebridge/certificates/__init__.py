"""Certificates of completion: the data boards require, a PDF, and a signed Open Badges 3.0 credential.

The pure part (:mod:`.build`, :mod:`.statements`, :mod:`.credential`, :mod:`.status`, :mod:`.verification`)
decides what a certificate says; :mod:`.pdf` renders it; :mod:`.issuing`, :mod:`.ledger` and :mod:`.packet`
do the I/O (files, the store, ZIP packets).
"""

from __future__ import annotations
