"""Unbound extension objects, bound to an app in ``create_app``."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db.models import Base
from app.db.types import include_object

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True, include_object=include_object)
csrf = CSRFProtect()
login_manager = LoginManager()
