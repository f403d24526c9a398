"""Pure domain rules of Orderdesk: money, validation, workflow. No Flask, no SQLAlchemy."""
