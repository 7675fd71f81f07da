"""The roles of DOMAIN.md, as carried in a token's `role` claim."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    UNIT_STAFF = "unit_staff"
    UNIT_MANAGER = "unit_manager"
    FOLLOW_UP = "follow_up"
    DEVELOPMENT_LEADER = "development_leader"
    IFO_CHIEF = "ifo_chief"
    REGIONAL_SUPPORT = "regional_support"
    NATIONAL_ANALYST = "national_analyst"
    OPERATOR = "operator"


#: Roles that act inside one municipality (their tenant is a municipality code).
MUNICIPAL_ROLES = frozenset(
    {
        Role.UNIT_STAFF,
        Role.UNIT_MANAGER,
        Role.FOLLOW_UP,
        Role.DEVELOPMENT_LEADER,
        Role.IFO_CHIEF,
    }
)
#: Roles whose token is bound to one unit (the `unit` claim is required).
UNIT_ROLES = frozenset({Role.UNIT_STAFF, Role.UNIT_MANAGER})
