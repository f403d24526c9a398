"""Unbound extension objects, bound to an app in ``create_app``."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db.models import Base
from app.db.types import include_object
from app.ops.replica import RoutingSession

# RoutingSession: the primary, or the read replica for the few requests marked for it.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate(compare_type=True, render_as_batch=True, include_object=include_object)
csrf = CSRFProtect()
login_manager = LoginManager()
