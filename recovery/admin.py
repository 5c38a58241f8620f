"""Admin helpers shared by every app: staff filter only by what the admin itself offers.

Django's ``ModelAdmin.lookup_allowed`` accepts a query-string lookup on any local field of the
model, shown or not. On an admin that hides health content that is an oracle: a check-in list
that shows no mood still answers ``?used__exact=1`` or ``?notes__icontains=...`` by which rows
it lists. :class:`DeclaredFiltersOnly` accepts only the query parameters the admin's own
``list_filter`` and ``date_hierarchy`` produce; anything else raises Django's
``DisallowedModelAdminLookup``, which answers 400 Bad Request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.filters import FieldListFilter, ListFilter
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Field

if TYPE_CHECKING:
    from django.http import HttpRequest

DATE_HIERARCHY_PARTS = ("year", "month", "day")


class DeclaredFiltersOnly:
    """A ``ModelAdmin`` mixin: only the declared list filters may narrow the changelist."""

    def declared_lookups(self, request: HttpRequest | None) -> set[str]:
        """Every query parameter the admin's declared filters and date hierarchy read."""
        admin: Any = self
        list_filter = admin.get_list_filter(request) if request is not None else admin.list_filter
        allowed: set[str] = set()
        for item in list_filter:
            spec = self._filter_spec(item, request)
            allowed.update(name for name in spec.expected_parameters() or () if name)
            field_path = getattr(spec, "field_path", None)
            if field_path:
                # ``?status=failed`` is the same question as the filter's ``status__exact``.
                allowed.add(field_path)
        if admin.date_hierarchy:
            allowed.update(f"{admin.date_hierarchy}__{part}" for part in DATE_HIERARCHY_PARTS)
        return allowed

    def _filter_spec(self, item: Any, request: HttpRequest | None) -> ListFilter:
        # Built the way ChangeList builds it, with no parameters given, only to ask it which
        # parameters it reads: the filter itself is the one source of truth for its names.
        admin: Any = self
        model = admin.model
        if isinstance(item, type) and issubclass(item, ListFilter):
            # Django's stubs want a request; without one (the admin audit in the tests asks
            # every admin) a filter class is only asked for its parameter names.
            return item(request, {}, model, admin)  # type: ignore[arg-type]
        if isinstance(item, (list, tuple)):
            field, filter_class = item
        else:
            field, filter_class = item, FieldListFilter.create
        field_path = None
        if not isinstance(field, Field):
            field_path = field
            field = get_fields_from_path(model, field_path)[-1]
        return filter_class(field, request, {}, model, admin, field_path=field_path)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if lookup in self.declared_lookups(request):
            return True
        # Raw-id pop-ups pass a foreign key's ``limit_choices_to`` as lookups (as Django does).
        admin: Any = self
        for fk_lookup in admin.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False


class ReadOnlyAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    """Records staff may read but never add, change or delete, nor filter by what is hidden."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ListOnlyAdmin(ReadOnlyAdmin):
    """Rows staff may count and list by their metadata, with no page for a single row."""

    list_display_links = None

    def has_view_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_view_permission(request, obj)
