"""Multi-step operations on the support network, one module per concept. Free of requests
and HTML.

- ``access``: who may see what (``access_for_tie``, ``shared_scopes``, ``supporter_access``)
- ``disclosure``: reading shared data and recording it in the access log
- ``ties``: adding, changing, pausing, ending and leaving ties
- ``contacts``: logging and confirming contacts (by the member, a supporter, a check-in)
- ``encouragement``: kind words from a supporter
- ``suggestion``: who to reach out to, and why
- ``departure``: ties of a deleted account
- ``errors``: ``NetworkError``
"""
