"""Who is acting: a signed-in user or an API token, always inside one organization."""

from __future__ import annotations

from dataclasses import dataclass, field

REP, MANAGER, ADMIN = "rep", "manager", "admin"
ROLES = (REP, MANAGER, ADMIN)


@dataclass(frozen=True)
class Actor:
    organization_id: str
    name: str
    role: str = ADMIN
    user_id: str | None = None
    token_id: str | None = None
    # Rep numbers whose orders a rep may see; ignored for managers, admins and tokens.
    rep_numbers: tuple[str, ...] = field(default_factory=tuple)
    # A read-only API token: it may read but neither create nor change anything.
    read_only: bool = False

    @property
    def sees_all_orders(self) -> bool:
        return self.role in (MANAGER, ADMIN)

    @property
    def is_manager(self) -> bool:
        return self.role in (MANAGER, ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN
